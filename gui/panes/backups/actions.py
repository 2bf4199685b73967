"""The Backups pane's buttons: each asks what it needs, then hands the work to the controller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import engines
from core.engines import Capability
from core.fmt import count
from core.verify import VerifyReport
from gui.errors import error_text
from gui.panes.backups.controller import RestoreRequest, read_paths
from gui.panes.backups.dialogs import (
    CopyOutDialog,
    DeleteDialog,
    RestoreDialog,
    break_lock_box,
    confirmed,
)
from gui.panes.backups.guard import guarded

if TYPE_CHECKING:
    from gui.panes.backups.pane import BackupsPane

BUSY_TEXT = {"verify": "Verifying…", "restore": "Restoring…", "copy": "Copying out…",
             "delete": "Deleting…", "check": "Checking the repository…",
             "break-lock": "Breaking the lock…"}


class BackupActions:
    def __init__(self, pane: BackupsPane) -> None:
        self.pane = pane
        self.last_check: tuple[str, bool] | None = None
        self.compare_dialog: Any = None

    @property
    def cat(self) -> Any:
        return self.pane.ctx.catalogue

    def _started(self, kind: str, ok: bool) -> None:
        if ok:
            self.pane.message.set_state("none", "")
            self.pane.set_busy(BUSY_TEXT[kind], cancellable=kind not in ("delete",
                                                                         "break-lock"))

    def borg_plan(self) -> str | None:
        """The plan of the selected backup when its engine keeps a repository (Check and Break
        lock act on that repository)."""
        info = self.pane.current()
        keeps = info is not None and engines.keeps_repository(info.engine)
        return info.plan if info is not None and keeps and info.plan else None

    def check(self, verify_data: bool) -> None:
        plan = self.borg_plan()
        if plan is not None:
            self.start_check(plan, verify_data)

    def start_check(self, plan: str, verify_data: bool) -> None:
        self.last_check = (plan, verify_data)
        self._started("check", self.pane.ops.check(plan, verify_data))

    def break_lock(self) -> None:
        plan = self.borg_plan()
        if plan is None:
            return
        box = break_lock_box(plan, self.pane)
        if confirmed(box, self.pane.exec_dialog(box)):
            self._started("break-lock", self.pane.ops.break_lock(plan))

    def verify_selected(self) -> None:
        ids = [b.id for b in self.pane.selected()]
        if ids:
            self._started("verify", self.pane.ops.verify(ids))

    def verify_all(self) -> None:
        self._started("verify", self.pane.ops.verify(None))

    def restore(self) -> None:
        info = self.pane.current()
        if info is None or self.cat is None:
            return
        dlg = RestoreDialog(info, self.pane, self.pane.ctx.workers)
        if not engines.can(info.engine, Capability.BROWSE):  # else Browse contents lists it
            self.pane.ctx.workers.submit(
                read_paths, self.cat, info.id, on_result=guarded(dlg, dlg.set_paths),
                on_error=guarded(dlg, lambda e: dlg.set_paths_error(error_text(e))))
        if not self.pane.exec_dialog(dlg):
            if dlg.wants_browse:
                self.browse()
            return
        req = dlg.accepted_request or dlg.request()
        if isinstance(req, str):
            self.pane.message.set_state("error", req)
            return
        self.start_restore(req)

    def start_restore(self, req: RestoreRequest) -> None:
        self._started("restore", self.pane.ops.restore(req))

    def copy_out(self) -> None:
        info = self.pane.current()
        if info is None:
            return
        dlg = CopyOutDialog(info, self.pane)
        if not self.pane.exec_dialog(dlg):
            return
        to = dlg.target()
        if to is None:
            self.pane.message.set_state("error", "Choose the folder to copy into "
                                                 "(an absolute path).")
            return
        self._started("copy", self.pane.ops.copy_out(info.id, to, dlg.chain.isChecked()))

    def delete(self) -> None:
        info = self.pane.current()
        if info is None or self.cat is None:
            return
        from core.jobs.delete import deletion_set, describe_deletion

        bid, engine = info.id, info.engine
        self.pane.ctx.workers.submit(
            lambda: describe_deletion(deletion_set(self.cat, bid)),
            on_result=guarded(self.pane,
                              lambda text: self._confirm_delete(bid, engine, text)))

    def _confirm_delete(self, backup_id: int, engine: str, description: str) -> None:
        dlg = DeleteDialog(description, self.pane, engine)
        if self.pane.exec_dialog(dlg):
            self._started("delete", self.pane.ops.delete(backup_id, dlg.files))

    def compare(self) -> None:
        sel = self.pane.selected()
        if len(sel) != 2 or self.cat is None:
            return
        from gui.panes.backups.compare import CompareDialog  # with its first use

        self.compare_dialog = CompareDialog(self.cat, self.pane.ctx.config.paths, sel[0], sel[1],
                                            self.pane.ctx.workers, self.pane)
        self.compare_dialog.show()

    def browse(self) -> None:
        info = self.pane.current()
        if info is None:
            return
        from gui.panes.backups.browser import ArchiveBrowser  # with its first use

        ArchiveBrowser(self.pane.ctx, info.id, self.pane).show()

    def done(self, kind: str, result: Any) -> None:
        self.pane.set_busy("")
        self.pane.message.set_state(*self._summary(kind, result))
        self.pane.refresh()

    def failed(self, kind: str, message: str) -> None:
        self.pane.set_busy("")
        if (kind == "check" and self.last_check is not None
                and self.pane.ops.error_kind == "busy"):
            self.pane.message.set_state("none", "")
            plan, data = self.last_check
            self.pane.run_bar.show_busy(message, lambda: self.start_check(plan, data))
        else:
            self.pane.message.set_state("error", message)
        self.pane.refresh()

    @staticmethod
    def _summary(kind: str, result: Any) -> tuple[str, str]:
        if kind == "verify":
            assert isinstance(result, VerifyReport)
            bad = [r for r in result.locations if r.state != "ok"]
            if not bad:
                return "ok", f"All {count(len(result.locations), 'copy')} verified ok."
            unreached = result.unreached
            if unreached:  # not stored, so the damage banner cannot name them
                first = unreached[0]
                return "warning", (f"{count(len(unreached), 'copy')} could not be verified: "
                                   f"backup {first.backup_id} at {first.destination}: "
                                   f"{first.error}")
            return "none", ""  # the damage banner names the bad copies: one red banner
        if kind == "restore":
            where = result.loaded_into or "the folder"
            text = (f"Restored backup {result.backup_id}: {count(result.files, 'file')}, "
                    f"{count(len(result.dumps), 'dump')} into {where} (job {result.job_id}).")
            if result.problems:
                n = len(result.problems)
                return "warning", (f"{text} {count(n, 'entry', 'entries')} not restored "
                                   f"(the job's log lists them): {result.problems[0]}")
            return "ok", text
        if kind == "check":
            plan, job, data = result
            what = "repository and archive data" if data else "repository"
            return "ok", f"Check of {plan!r}: the {what} has no problems (job {job})."
        if kind == "break-lock":
            return "ok", f"Broke the lock of {result}."
        if kind == "copy":
            return "ok", result.sentence()
        if result.errors:
            return "warning", (f"Deleted {count(len(result.deleted), 'backup')}; "
                               + " ".join(result.errors))
        return "ok", (f"Deleted {count(len(result.deleted), 'backup')} and "
                      f"{count(len(result.removed_paths), 'folder')}.")
