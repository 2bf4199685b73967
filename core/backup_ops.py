"""Delete backups (record, or record and files) and copy a backup's artifacts out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from core.backups import BackupInfo, chain_of, descendants, get_backup
from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.catalogue.schema import Backup, BackupLocation, Destination
from core.destinations import CopyMismatch, copy_file_atomic, require_mounted, safe_delete
from core.errors import BackupDeskError, DestinationError, EngineError, UsageError
from core.fmt import count, human_bytes
from core.progress import CancelToken, Progress, ProgressCallback, no_progress


def deletion_set(cat: Catalogue, backup_id: int) -> list[BackupInfo]:
    """The backup and every backup that depends on it, dependents last."""
    return [get_backup(cat, backup_id), *descendants(cat, backup_id)]


def describe_deletion(items: list[BackupInfo]) -> str:
    head = items[0]
    if len(items) == 1:
        return f"Backup {head.id} ({head.type}, {head.name}) will be deleted."
    rest = ", ".join(str(b.id) for b in items[1:])
    return (f"Backup {head.id} ({head.type}) has {count(len(items) - 1, 'backup')} depending on it "
            f"({rest}); deleting it deletes them too.")


@dataclass
class DeleteReport:
    deleted: list[int] = field(default_factory=list)
    removed_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _roots(cat: Catalogue, plan_id: int | None) -> dict[int, tuple[Path, str | None]]:
    """The plan's destination folders by id, each with its marker id (None for one set up by
    a version without markers)."""
    if plan_id is None:
        return {}
    with cat.session() as s:
        rows = s.execute(select(Destination.id, Destination.location, Destination.options)
                         .where(Destination.plan_id == plan_id)).all()
    return {i: (Path(loc).expanduser(), (opts or {}).get("marker")) for i, loc, opts in rows}


def _unmounted(root: Path, marker: str | None) -> str | None:
    """Why nothing may be deleted under `root` now, or None."""
    if marker is None:
        return None if root.is_dir() else f"destination {root} is not reachable."
    try:
        require_mounted(str(root), marker)
    except DestinationError:
        return f"destination {root} is not mounted (is the disk plugged in?)."
    return None


def delete_backups(cat: Catalogue, backup_id: int, *, files: bool) -> DeleteReport:
    """Delete the backup and its dependents; with `files`, also their folders at every
    destination, never anything outside the plan's registered destinations."""
    report = DeleteReport()
    if get_backup(cat, backup_id).engine == "borg":  # an archive is deleted in its repository
        from core.engines.borg.backups import delete_archive

        delete_archive(cat, backup_id)
        report.deleted.append(backup_id)
        return report
    for b in reversed(deletion_set(cat, backup_id)):
        failed = False
        if files:
            roots = _roots(cat, b.plan_id)
            for loc in b.locations:
                if not loc.path or loc.state in (LocationState.FAILED.value,
                                                 LocationState.DELETED.value):
                    continue
                known = roots.get(loc.destination_id) if loc.destination_id else None
                if known is None:
                    report.errors.append(f"Kept {loc.path}: {loc.destination} is no longer a "
                                         f"destination of plan {b.plan!r}.")
                    failed = True
                    continue
                root = known[0]
                if why := _unmounted(*known):
                    report.errors.append(f"Kept {loc.path}: {why}")
                    failed = True
                    continue
                try:
                    if safe_delete(root, Path(loc.path)):
                        report.removed_paths.append(loc.path)
                    _mark_deleted(cat, loc.id)
                except BackupDeskError as e:
                    report.errors.append(str(e))
                    failed = True
        if failed:
            continue
        with cat.session() as s:
            row = s.get(Backup, b.id)
            if row is not None:
                s.delete(row)
        report.deleted.append(b.id)
    return report


def _mark_deleted(cat: Catalogue, location_id: int) -> None:
    with cat.session() as s:
        loc = s.get(BackupLocation, location_id)
        if loc is not None:
            loc.state = LocationState.DELETED.value


REPORT_EVERY = 0.2  # seconds between progress reports (each one is a Qt signal in the GUI)


class _CopyMeter:
    """Bytes and files copied so far; reports at most once per REPORT_EVERY seconds."""

    def __init__(self, progress: ProgressCallback, bytes_total: int, files_total: int) -> None:
        self.progress, self.bytes_total, self.files_total = progress, bytes_total, files_total
        self.bytes = self.files = 0
        self.current = ""
        self._next_at = 0.0

    def add(self, n: int) -> None:
        self.bytes += n
        self.report()

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now >= self._next_at:
            self._next_at = now + REPORT_EVERY
            self.progress(Progress("copying", self.bytes, self.bytes_total, self.files,
                                   self.files_total, self.current))


def copy_out(cat: Catalogue, backup_id: int, to: Path, *, chain: bool = False,
             cancel: CancelToken | None = None,
             progress: ProgressCallback = no_progress) -> list[Path]:
    """Save the backup's artifacts (and its chain's) into `to`/<backup name>/ from any healthy
    destination, each checked against its SHA-256. A cancel or a failure keeps the files
    already copied; the file being copied never appears under its final name."""
    cancel = cancel or CancelToken()
    items = chain_of(cat, backup_id) if chain else [get_backup(cat, backup_id)]
    out: list[Path] = []
    for b in items:
        folder = to / b.name
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"{folder} exists and is not empty.")
    todo = [(b, a) for b in items for a in b.artifacts]
    meter = _CopyMeter(progress, sum(a.size for _, a in todo), len(todo))
    meter.report(force=True)
    for b, a in todo:
        folder = to / b.name
        folder.mkdir(parents=True, exist_ok=True)
        meter.current = a.name
        out.append(_copy_one(b, a.name, a.sha256, folder, cancel, meter))
        meter.files += 1
        meter.report(force=True)
    return out


@dataclass(frozen=True)
class Copied:
    """What a copy out tells the user: how much, and the folder that holds it."""

    files: int
    bytes: int
    into: str

    @classmethod
    def of(cls, paths: list[Path], to: Path) -> Copied:
        into = os.path.commonpath([str(p.parent) for p in paths]) if paths else str(to)
        return cls(len(paths), sum(p.stat().st_size for p in paths if p.is_file()), into)

    def sentence(self) -> str:
        return (f"Copied {count(self.files, 'file')} ({human_bytes(self.bytes)}) into "
                f"{self.into}, each checked against its SHA-256.")


def _copy_one(b: BackupInfo, name: str, sha256: str, folder: Path,
              cancel: CancelToken, meter: _CopyMeter) -> Path:
    tried = []
    start = meter.bytes
    for loc in b.locations:
        if loc.state not in (LocationState.OK.value, LocationState.UNVERIFIED.value):
            continue
        src = Path(loc.path) / name
        if not src.is_file():
            tried.append(f"{loc.destination}: missing")
            continue
        meter.bytes = start  # a retry from another destination starts the file again
        try:
            copy_file_atomic(src, folder / name, cancel, meter.add, expect_sha256=sha256)
        except CopyMismatch:
            tried.append(f"{loc.destination}: corrupt")
            continue
        return folder / name
    detail = "; ".join(tried) or "no healthy destination"
    raise EngineError(f"No good copy of {name} of backup {b.id} ({detail}).")
