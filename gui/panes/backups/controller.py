"""What the Backups pane does, off the GUI thread: load, verify, restore, copy out, delete.

Each operation runs in a worker and ends with `done(kind, result)` or `failed(kind, message)`;
the pane only lays out and asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from core.backups import BackupFilter, BackupInfo, as_tree, get_backup, list_backups
from core.catalogue.backups import filter_choices
from core.catalogue.db import Catalogue
from core.jobs.copy_out import Copied, copy_out
from core.jobs.delete import delete_backups
from core.jobs.repository import break_lock, check
from core.jobs.restore import DUMPS_DIR, restore_backup
from core.jobs.verify import verify_backups
from core.progress import Progress, no_progress
from core.remote.resolve import for_catalogue
from core.run_prep import read_manifest
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.guard import guarded
from gui.workers import Task

if TYPE_CHECKING:
    from core.jobs.copy_out import Copied


def load_backups(cat: Catalogue, flt: BackupFilter) -> tuple[list[tuple[int, BackupInfo]],
                                                             dict[str, list[str]]]:
    """The filtered tree, every plan and destination known (for the filter menus), and the
    plans that exist now (for Run now)."""
    newest_first = sorted(list_backups(cat, flt), key=lambda b: (b.created_at, b.id),
                          reverse=True)  # as the History lists jobs
    tree = as_tree(newest_first)
    plans, dests, runnable = filter_choices(cat)
    return tree, {"plans": plans, "destinations": dests, "runnable": runnable}


@dataclass
class RestoreRequest:
    backup_id: int
    to: Path | None = None
    paths: list[str] = field(default_factory=list)
    overwrite: bool = False
    into_database: str | None = None
    dump: str | None = None


def needs_overwrite(folder: Path) -> bool:
    """True if restoring into `folder` needs the user's consent (it holds something)."""
    return folder.is_dir() and any(folder.iterdir())


def read_paths(cat: Catalogue, backup_id: int) -> list[str]:
    """Every path of the backup's tree (from its manifest), then its dumps under databases/."""
    b = get_backup(cat, backup_id)
    entries = read_manifest(b, for_catalogue(cat)).get("entries", [])
    paths = [str(e["path"]) for e in entries]
    paths += [f"{DUMPS_DIR}/{a.name}" for a in b.artifacts if a.kind == "database"]
    return paths


def copy_files(cat: Catalogue, backup_id: int, to: Path, *, chain: bool = False,
               cancel: Any = None, progress: Any = None) -> Copied:
    """Copy out (core), then what the user is told: how much, and where it went."""
    paths = copy_out(cat, backup_id, to, chain=chain, cancel=cancel,
                     progress=progress or no_progress)
    return Copied.of(paths, to)


class BackupsController(QObject):
    progress = Signal(str, object)  # kind, Progress
    done = Signal(str, object)  # kind, result
    failed = Signal(str, str)  # kind, message

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.kind = ""
        self.error_kind = ""  # core.errors' kind of the last failure ("busy", ...)

    @property
    def busy(self) -> bool:
        return self.task is not None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel_token.cancel()

    def _submit(self, kind: str, fn: Any, *args: Any, progress: bool = False,
                **kwargs: Any) -> bool:
        if self.ctx.catalogue is None or self.task is not None:
            return False
        self.kind = kind
        self.task = self.ctx.workers.submit(
            fn, self.ctx.catalogue, *args,
            on_result=guarded(self, lambda r: self._finish(kind, r, None)),
            on_error=guarded(self, lambda e: self._finish(kind, None, e)),
            on_progress=guarded(self, lambda p: self._progress(kind, p)) if progress else None,
            with_cancel=True, **kwargs)
        return True

    def _progress(self, kind: str, p: Progress) -> None:
        self.progress.emit(kind, p)

    def _finish(self, kind: str, result: Any, error: BaseException | None) -> None:
        self.task = None
        if kind in ("verify", "restore", "delete", "check"):
            self.ctx.jobs_changed.emit()
        if error is not None:
            self.error_kind = getattr(error, "kind", "error")
            self.failed.emit(kind, error_text(error))
        else:
            self.done.emit(kind, result)

    def verify(self, ids: list[int] | None) -> bool:
        return self._submit("verify", verify_backups, ids, progress=True, trigger="manual")

    def restore(self, req: RestoreRequest) -> bool:
        return self._submit("restore", restore_backup, req.backup_id, to=req.to,
                            paths=req.paths or None, overwrite=req.overwrite,
                            into_database=req.into_database, dump=req.dump, progress=True)

    def copy_out(self, backup_id: int, to: Path, chain: bool) -> bool:
        return self._submit("copy", copy_files, backup_id, to, chain=chain, progress=True)

    def delete(self, backup_id: int, files: bool) -> bool:
        """Core deletes a borg archive in its repository whatever `files` says."""
        def work(cat: Catalogue, bid: int, cancel: Any = None) -> Any:
            return delete_backups(cat, bid, files=files)

        return self._submit("delete", work, backup_id)

    def check(self, plan: str, verify_data: bool) -> bool:
        """Check a repository plan's repository (`borg check`), a verify job."""
        paths = self.ctx.config.paths

        def work(cat: Catalogue, progress: Any = None, cancel: Any = None) -> Any:
            job = check(cat, paths, plan, verify_data=verify_data, progress=progress,
                        cancel=cancel)
            return plan, job, verify_data

        return self._submit("check", work, progress=True)

    def break_lock(self, plan: str) -> bool:
        return self._submit("break-lock", break_lock, self.ctx.config.paths, plan)
