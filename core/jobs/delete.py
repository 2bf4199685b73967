"""Delete backups: the record, or the record and its files at every destination.

A backup of an engine that keeps its own repository is deleted there (core.jobs.repository).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.backups import BackupInfo, descendants, get_backup
from core.catalogue.backups import delete_backup, set_location_state
from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.catalogue.plans import destinations_of
from core.destinations import require_mounted, safe_delete
from core.engines import keeps_repository
from core.errors import BackupDeskError, DestinationError
from core.findex.indexing import remove_quietly
from core.fmt import count
from core.remote.location import is_remote, relative
from core.remote.rclone import Rclone
from core.remote.resolve import Resolve, for_catalogue


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
    """What deleting backups removed and what failed."""
    deleted: list[int] = field(default_factory=list)
    removed_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_kind: str | None = None  # core.errors' kind of the first error


def _roots(cat: Catalogue, plan_id: int | None) -> dict[int, tuple[str, str | None]]:
    """The plan's destinations by id, each with its marker id (None for a remote one, or one
    set up by a version without markers)."""
    if plan_id is None:
        return {}
    return {d.id: (d.location, (d.options or {}).get("marker"))
            for d in destinations_of(cat, plan_id)}


def _delete_remote(remotes: Resolve, plan_id: int | None, location: str, path: str) -> bool:
    """Delete a backup's folder at a remote destination, only strictly inside it."""
    rel = relative(location, path)  # refuses the destination itself and anything outside
    return Rclone(remotes(plan_id, location)).purge(rel)


def _unmounted(root: Path, marker: str | None) -> str | None:
    """Why nothing may be deleted under `root` now, or None."""
    if marker is None:
        return None if root.is_dir() else f"destination {root} is not reachable."
    try:
        require_mounted(str(root), marker)
    except DestinationError:
        return f"destination {root} is not mounted (is the disk plugged in?)."
    return None


def delete_backups(cat: Catalogue, backup_id: int, *, files: bool,
                   unindex: bool = True) -> DeleteReport:
    """Delete the backup and its dependents; with `files`, also their folders at every
    destination, never anything outside the plan's registered destinations. Without `unindex`
    the caller takes them out of the file index (a prune: all its backups at once)."""
    report = DeleteReport()
    if keeps_repository(get_backup(cat, backup_id).engine):  # deleted in its repository
        from core.jobs import repository  # only their jobs load repository engines

        repository.delete_backup(cat, backup_id)
        report.deleted.append(backup_id)
        return report
    items = deletion_set(cat, backup_id)
    for b in reversed(items):
        if files and not _delete_files(cat, b, report):
            continue
        delete_backup(cat, b.id)
        report.deleted.append(b.id)
    if unindex:
        remove_quietly(cat, items[0].plan_id, report.deleted)
    return report


def _delete_files(cat: Catalogue, b: BackupInfo, report: DeleteReport) -> bool:
    """Delete the backup's folder at each destination; False if any copy was kept."""
    roots = _roots(cat, b.plan_id)
    remotes = for_catalogue(cat)
    done = True

    def kept(error: str) -> None:
        nonlocal done
        report.errors.append(error)
        report.error_kind = report.error_kind or DestinationError.kind
        done = False

    for loc in b.locations:
        if not loc.path or loc.state in (LocationState.FAILED.value,
                                         LocationState.DELETED.value):
            continue
        known = roots.get(loc.destination_id) if loc.destination_id else None
        if known is None:
            kept(f"Kept {loc.path}: {loc.destination} is no longer a destination of plan "
                 f"{b.plan!r}.")
            continue
        location, marker = known
        root = Path(location).expanduser()
        if not is_remote(location) and (why := _unmounted(root, marker)):
            kept(f"Kept {loc.path}: {why}")
            continue
        try:
            if is_remote(location):
                gone = _delete_remote(remotes, b.plan_id, location, loc.path)
            else:
                gone = safe_delete(root, Path(loc.path))
            if gone:
                report.removed_paths.append(loc.path)
            set_location_state(cat, loc.id, LocationState.DELETED.value)
        except BackupDeskError as e:
            report.errors.append(str(e))
            report.error_kind = report.error_kind or e.kind
            done = False
    return done
