"""Keep a plan's index in step with its backups: index a new backup (the backup jobs call
`index_backup`), rebuild a plan's index from its backups (`reindex`), find where a plan's index
is. A missing, stale or damaged index is rebuilt here; indexing never fails a backup (the caller
logs what `IndexingError` says)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.backups import BackupFilter, BackupInfo, get_backup, list_backups
from core.catalogue.backups import recent_backup_ids
from core.catalogue.db import Catalogue
from core.config import AppPaths
from core.engines import keeps_repository
from core.engines.api import Repository, RunResult
from core.errors import BackupDeskError
from core.findex.feed import BorgListing, FileEntry, Listing, can_take, feed, manifest_listing
from core.findex.store import Index, Newest, drop, index_dir, index_file, open_index, read_newest
from core.progress import CancelToken, no_progress
from core.timeutil import iso
from core.watch.warnings import INDEX

log = logging.getLogger(__name__)

# A backup's file list; the flag says a Listing of its changes since its parent will do.
FilesOf = Callable[[BackupInfo, bool], list[FileEntry] | Listing]


class IndexingError(BackupDeskError):
    kind = "index"


def folder(cat: Catalogue) -> Path:
    return index_dir(cat.db.sqlite_file, AppPaths.resolve().data_dir, cat.url)


def plan_index_path(cat: Catalogue, plan_id: int) -> Path:
    return index_file(folder(cat), plan_id)


def ref(backup_id: int) -> str:
    return f"b:{backup_id}"


def backup_id_of(ref_: str) -> int | None:
    return int(ref_[2:]) if ref_.startswith("b:") else None


def created(b: BackupInfo) -> str:
    return iso(b.created_at) or ""


def plan_backups(cat: Catalogue, plan: str) -> list[BackupInfo]:
    """The plan's backups that still exist, oldest first."""
    items = [b for b in list_backups(cat, BackupFilter(plans=(plan,))) if b.status != "deleted"]
    return sorted(items, key=lambda b: (b.created_at, b.id))


def files_of_backup(cat: Catalogue, paths: AppPaths | None = None,
                    written: tuple[int, RunResult] | None = None) -> FilesOf:
    """How to read any backup's file list: its manifest, or its engine's listing. `written`:
    a backup just made and what its engine's run gave (the files of a full one, the
    manifest's bytes as written): nothing is read back."""

    def files(b: BackupInfo, changes: bool) -> list[FileEntry] | Listing:
        if written is not None and written[0] == b.id:
            if written[1].listing is not None:
                return Listing(written[1].listing)
            if written[1].manifest is not None:
                return manifest_listing(written[1].manifest, b.name, changes)
        if keeps_repository(b.engine):
            from core.jobs.repository_backups import browse  # loads the repository engine

            return browse(cat, b.id, BorgListing(), app_paths=paths).files  # type: ignore[no-any-return]
        from core.remote.resolve import for_catalogue
        from core.run_prep import read_manifest_bytes  # the archive engine: not for borg's

        raw, where = read_manifest_bytes(b, for_catalogue(cat))
        return manifest_listing(raw, str(where), changes)

    return files


class Ahead:
    """The newest indexed backup's files of a plan, read on a thread of their own while a full
    backup is written (its index update compares with them): store.read_newest()."""

    def __init__(self, cat: Catalogue, plan_id: int) -> None:
        self._got: Newest | None = None
        self._thread = threading.Thread(target=self._read, args=(plan_index_path(cat, plan_id),),
                                        name="index-ahead", daemon=True)
        self._thread.start()

    def _read(self, path: Path) -> None:
        self._got = read_newest(path)

    def take(self) -> Newest | None:
        self._thread.join()
        got, self._got = self._got, None
        return got


def index_backup(cat: Catalogue, b: BackupInfo, files_of: FilesOf,
                 ahead: Ahead | None = None) -> dict[str, Any] | None:
    """Index backup `b` of its plan: its change summary against the backup before it, or None
    when it was indexed already. An older index, one that lacks earlier backups or holds newer
    ones, or a damaged file is rebuilt from the plan's backups."""
    if b.plan_id is None:
        return None
    path = plan_index_path(cat, b.plan_id)
    try:
        return _index(cat, path, b, files_of, ahead)
    except sqlite3.DatabaseError as e:
        log.warning("file index %s damaged (%s): rebuilt", path, e)
        drop(path)
        return _index(cat, path, b, files_of)


def _index(cat: Catalogue, path: Path, b: BackupInfo, files_of: FilesOf,
           ahead: Ahead | None = None) -> dict[str, Any] | None:
    ix = open_index(path)
    try:
        if ix.has_backup(ref(b.id)):
            return None
        last = ix.last_backup()
        before = _newest_before(cat, b)
        in_step = ix.has_backup(ref(before)) if before is not None else last is None
        if in_step and (last is None or last.created_at <= created(b)):
            if last is not None and before is not None and last.ref != ref(before):
                # Backups after `before` are gone, their removal not told to the index (it
                # failed): out now, so that `b` is compared with `before`.
                after = ix.seq_of(ref(before)) or 0
                ix.remove_backups([x.ref for x in ix.backups() if x.seq > after])
            return _feed(ix, b, files_of, ahead)
        # Out of step: rebuilt with every backup of the plan, those newer than `b` too.
        others = [x for x in plan_backups(cat, b.plan) if x.id != b.id]
        changes: dict[str, Any] | None = None
        every = sorted([*others, b], key=lambda x: (x.created_at, x.id))
        for x in _rebuild(ix, every, files_of):
            if x[0].id == b.id:
                changes = x[1]
        return changes
    finally:
        ix.close()


def _newest_before(cat: Catalogue, b: BackupInfo) -> int | None:
    """The plan's newest backup made before `b` that still exists: the index is in step when
    it holds that one (a cheap look at the newest few, not the plan's whole list)."""
    assert b.plan_id is not None
    for bid in recent_backup_ids(cat, b.plan_id, b.engine, 50):
        x = get_backup(cat, bid)
        if x.id != b.id and (x.created_at, x.id) < (b.created_at, b.id) \
                and x.status != "deleted":
            return x.id
    return None


def _feed(ix: Index, b: BackupInfo, files_of: FilesOf, ahead: Ahead | None = None
          ) -> dict[str, Any]:
    """Feed `b`: from its changes when the index's newest backup is their base, else whole."""
    try:
        files = files_of(b, True)
        if isinstance(files, Listing) and not can_take(ix, files):
            files = files_of(b, False)
    except BackupDeskError as e:
        raise IndexingError(f"Cannot read the file list of backup {b.id}: {e}") from e
    return feed(ix, ref(b.id), b.name, created(b), files,
                ahead.take() if ahead is not None else None)


def _rebuild(ix: Index, items: list[BackupInfo], files_of: FilesOf
             ) -> list[tuple[BackupInfo, dict[str, Any]]]:
    """Empty the index and feed `items` in order; a backup whose list cannot be read is left
    out (logged)."""
    with ix.transaction():
        ix.clear()
    out = []
    for x in items:
        try:
            out.append((x, _feed(ix, x, files_of)))
        except IndexingError as e:
            log.warning("file index: backup %s left out: %s", x.id, e)
    return out


def remove_gone(cat: Catalogue, backup_ids: list[int]) -> None:
    """remove_quietly for backups still recorded (marked deleted), of any plans."""
    by_plan: dict[int | None, list[int]] = {}
    for i in backup_ids:
        by_plan.setdefault(get_backup(cat, i).plan_id, []).append(i)
    for plan_id, ids in by_plan.items():
        remove_quietly(cat, plan_id, ids)


def remove_quietly(cat: Catalogue, plan_id: int | None, backup_ids: list[int]) -> None:
    """Take backups the job layer has recorded as gone (deleted, pruned, vanished from their
    repository) out of their plan's index. Never fails the caller: the readers skip backups the
    catalogue no longer has, and a damaged index is dropped (the next backup rebuilds it)."""
    if plan_id is None or not backup_ids:
        return
    path = plan_index_path(cat, plan_id)
    if not path.exists():
        return
    try:
        ix = open_index(path)
        try:
            n = ix.remove_backups([ref(i) for i in backup_ids])
        finally:
            ix.close()
        log.info("file index %s: %d backups removed", path, n)
    except sqlite3.DatabaseError as e:
        log.warning("file index %s damaged (%s): dropped", path, e)
        drop(path)
    except Exception:  # the index is a cache: a delete never fails for it
        log.warning("file index %s: backups %s not removed", path, backup_ids, exc_info=True)


def reindex(cat: Catalogue, plan: str, plan_id: int, files_of: FilesOf) -> tuple[int, int]:
    """Rebuild a plan's index from its backups: (backups indexed, backups left out)."""
    path = plan_index_path(cat, plan_id)
    drop(path)
    items = plan_backups(cat, plan)
    ix = open_index(path)
    try:
        done = _rebuild(ix, items, files_of)
    finally:
        ix.close()
    return len(done), len(items) - len(done)


@dataclass(frozen=True)
class Indexed:
    """What indexing a new backup gave its job: the change summary, and the job warnings
    (details["warnings"], kind "index") when the index was not updated. A warning, not a
    problem: the backup's status stays."""

    changes: dict[str, Any] | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)


def index_quietly(cat: Catalogue, backup_id: int, files_of: FilesOf,
                  say: Callable[[str], None], ahead: Ahead | None = None) -> Indexed:
    """index_backup for a backup job: a failure is said (to the job's log), becomes a job
    warning and never fails the backup."""
    started = time.monotonic()
    try:
        ch = index_backup(cat, get_backup(cat, backup_id), files_of, ahead)
    except Exception as e:  # the index is a cache: a backup never fails for it
        log.warning("file index: backup %s not indexed", backup_id, exc_info=True)
        text = f"File index not updated (find, diff and restore --file miss backup " \
               f"{backup_id} until `backupdesk reindex`): {e}"
        say(f"Warning: {text}")
        return Indexed(None, [{"kind": INDEX, "check": "file index", "text": text}])
    if ch is not None:
        say(f"File index: {ch['added']} added, {ch['changed']} changed, {ch['deleted']} "
            f"deleted, {ch['unchanged']} unchanged ({time.monotonic() - started:.3f} s).")
    return Indexed(ch)


def repository_files(repo: Repository, cancel: CancelToken) -> FilesOf:
    """A repository engine's archives' file lists, through a repository already open (the job
    holding it lists them)."""

    def files(b: BackupInfo, changes: bool) -> list[FileEntry]:
        del changes  # a listing is always whole
        return repo.browse(b.name, BorgListing(), no_progress, cancel).files  # type: ignore[no-any-return]

    return files
