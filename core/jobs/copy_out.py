"""Copy a backup's artifacts out of the app (no job: it changes nothing the app keeps)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from core.backups import BackupInfo, chain_of, get_backup
from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.destinations import CopyMismatch, copy_file_atomic
from core.errors import DestinationError, EngineError, UsageError
from core.fmt import count, human_bytes
from core.progress import CancelToken, Progress, ProgressCallback, no_progress
from core.remote.fetch import RemoteMismatch, download
from core.remote.location import is_remote, relative
from core.remote.resolve import Resolve, for_catalogue

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
    remotes = for_catalogue(cat)
    for b, a in todo:
        folder = to / b.name
        folder.mkdir(parents=True, exist_ok=True)
        meter.current = a.name
        out.append(_copy_one(b, a.name, a.sha256, folder, cancel, meter, remotes))
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
              cancel: CancelToken, meter: _CopyMeter, remotes: Resolve) -> Path:
    tried = []
    start = meter.bytes
    for loc in sorted(b.locations, key=lambda loc: is_remote(loc.destination)):
        if loc.state not in (LocationState.OK.value, LocationState.UNVERIFIED.value):
            continue
        if is_remote(loc.destination):
            meter.bytes = start
            art = next(a for a in b.artifacts if a.name == name)
            try:
                return download(remotes(b.plan_id, loc.destination),
                                f"{relative(loc.destination, loc.path)}/{name}", art,
                                folder / name, cancel, meter.add)
            except RemoteMismatch:
                tried.append(f"{loc.destination}: corrupt")
            except DestinationError as e:
                tried.append(f"{loc.destination}: {e}")
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
