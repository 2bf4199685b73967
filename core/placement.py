"""Putting a finished backup at its destinations: rename from staging, copy to the others."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from core.destinations import CopyMismatch, copy_file_atomic, fsync_dir, safe_delete
from core.engines.api import Artifact
from core.errors import BackupDeskError, CancelledError, DestinationError
from core.progress import CancelToken, Progress, ProgressCallback

STAGING_PREFIX = ".staging-"
PARTIAL_PREFIX = ".partial-"


def plan_dir_name(plan_name: str, plan_id: int) -> str:
    slug = re.sub(r"[^\w.-]+", "_", plan_name).strip("._")
    return slug or f"plan-{plan_id}"


@dataclass
class Placed:
    """A backup's copy written at one destination."""
    destination_id: int | None
    destination: str
    path: str
    ok: bool
    error: str = ""


def staging_dir(dest_root: Path, plan_dir: str, plan_id: int, backup_name: str) -> Path:
    """A new staging folder in the plan's folder (the destination itself is never created)."""
    d = dest_root / plan_dir / f"{STAGING_PREFIX}p{plan_id}-{backup_name}"
    try:
        d.parent.mkdir(exist_ok=True)
        d.mkdir()
    except OSError as e:
        raise DestinationError(f"Cannot write to {dest_root}: {e.strerror}.") from e
    return d


def discard(dest_root: Path, path: Path) -> None:
    try:
        safe_delete(dest_root, path)
    except BackupDeskError:
        pass


def promote(staging: Path, final: Path) -> None:
    """Rename the staging folder to its final name (atomic on one file system)."""
    if final.exists():
        raise DestinationError(f"{final} exists already.")
    try:
        os.rename(staging, final)
    except OSError as e:
        raise DestinationError(f"Cannot move the backup into place at {final}: "
                               f"{e.strerror}.") from e
    fsync_dir(final.parent)


def copy_to(source_dir: Path, artifacts: list[Artifact], dest_root: str, plan_dir: str,
            plan_id: int, backup_name: str, progress: ProgressCallback,
            cancel: CancelToken) -> Path:
    """Copy the artifacts to another (checked, mounted) destination, checking each copy's
    hash."""
    root = Path(dest_root).expanduser()
    parent = root / plan_dir
    partial = parent / f"{PARTIAL_PREFIX}p{plan_id}-{backup_name}"
    total = sum(a.size for a in artifacts)
    done = [0]

    def on_bytes(n: int) -> None:
        done[0] += n
        progress(Progress("copying", done[0], total, current=dest_root))

    try:
        parent.mkdir(exist_ok=True)
        partial.mkdir()
        for i, a in enumerate(artifacts):
            try:
                copy_file_atomic(source_dir / a.name, partial / a.name, cancel, on_bytes,
                                 expect_sha256=a.sha256)
            except CopyMismatch as e:
                raise DestinationError(f"The copy of {a.name} at {dest_root} does not match "
                                       "the original.") from e
            if i == 0:
                pause_point("copying")
        final = parent / backup_name
        promote(partial, final)
        return final
    except (BackupDeskError, CancelledError):
        discard(root, partial)
        raise
    except OSError as e:
        discard(root, partial)
        raise DestinationError(f"Copying to {dest_root} failed: {e.strerror}.") from e


_JOB_SUFFIX = re.compile(r"-job(\d+)$")


def leftovers(dest_root: Path, plan_dir: str, plan_id: int, recorded: set[str]
              ) -> tuple[list[Path], dict[Path, int]]:
    """What interrupted runs of the plan left in a destination: its staging and partial
    folders, and backup folders under a final name that the catalogue never recorded (with the
    job that wrote each)."""
    parent = dest_root / plan_dir
    if not parent.is_dir():
        return [], {}
    mine = (f"{STAGING_PREFIX}p{plan_id}-", f"{PARTIAL_PREFIX}p{plan_id}-")
    temp: list[Path] = []
    unrecorded: dict[Path, int] = {}
    for child in parent.iterdir():
        if not child.is_dir() or child.is_symlink():
            continue
        if child.name.startswith(mine):
            temp.append(child)
        elif str(child) not in recorded and (m := _JOB_SUFFIX.search(child.name)):
            unrecorded[child] = int(m.group(1))
    return temp, unrecorded


def pause_point(name: str) -> None:
    """Fault tests only: with BACKUPDESK_PAUSE_AT=name, say so in BACKUPDESK_PAUSE_FILE and
    wait there (for a SIGKILL) for at most ten minutes."""
    if os.environ.get("BACKUPDESK_PAUSE_AT") != name:
        return

    Path(os.environ["BACKUPDESK_PAUSE_FILE"]).write_text(name)
    threading.Event().wait(600)
