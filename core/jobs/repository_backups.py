"""Jobs on one backup of a repository plan, from the Backups pane and the CLI: restore
(extract), delete, verify (a check of each archive), and browse (not a job)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.backups import BackupInfo, get_backup
from core.catalogue.backups import delete_backup as forget_backup
from core.catalogue.db import Catalogue
from core.catalogue.models import JobKind, JobTrigger, LocationState, Plan
from core.catalogue.plans import plan_by_id
from core.config import AppPaths
from core.engines.api import ARCHIVE_MISSING, DAMAGED
from core.engines.layout import top_names
from core.errors import BackupDeskError, CancelledError, ConfigError, UsageError
from core.findex.indexing import remove_quietly
from core.jobs.repo_session import open_repository, repo_job, repository_plan
from core.jobs.repository_records import refresh as refresh_records
from core.progress import CancelToken, ProgressCallback, no_progress

if TYPE_CHECKING:
    from core.verify import LocationResult

SKIPPED = (LocationState.FAILED.value, LocationState.DELETED.value)


def _plan_of(cat: Catalogue, b: BackupInfo) -> Plan:
    plan = plan_by_id(cat, b.plan_id) if b.plan_id is not None else None
    if plan is None:
        raise ConfigError(f"Backup {b.id} belongs to a plan that was removed; its repository "
                          f"({b.details.get('repository')}) needs a plan to be opened.")
    return repository_plan(cat, plan)


def _location(b: BackupInfo) -> str | None:
    repo = b.details.get("repository")
    return str(repo) if repo else None


def restore_backup(cat: Catalogue, backup_id: int, to: Path, *, paths: list[str] | None = None,
                   overwrite: bool = False, trigger: str = JobTrigger.MANUAL.value,
                   app_paths: AppPaths | None = None, secrets: Any = None,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None) -> tuple[int, int, int]:
    """Extract the whole archive, or the given paths, into `to`: (job id, files, bytes)."""
    b = get_backup(cat, backup_id)
    plan = _plan_of(cat, b)
    to = to.expanduser().absolute()
    if to.exists() and not to.is_dir():
        raise UsageError(f"{to} is not a folder.")
    if to.is_dir() and any(to.iterdir()) and not overwrite:
        raise UsageError(f"{to} is not empty; choose an empty folder or allow overwriting.")
    with repo_job(cat, plan, JobKind.RESTORE.value, paths=app_paths, secrets=secrets,
                  trigger=trigger, progress=progress, cancel=cancel,
                  details={"backup_id": b.id}, location=_location(b)) as rj:
        j = rj.job
        what = ", ".join(paths) if paths else "everything"
        j.log(f"Extracting {what} of archive {b.name} into {to}.")
        staging = to / f".backupdesk-extract-{j.id}"
        try:
            j.log(rj.repo.extract(b.name, staging, paths or [], j.progress, j.cancel))
            place_extracted(staging, to, list(plan.sources))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        files = total = 0
        for f in to.rglob("*"):
            if f.is_file() and not f.is_symlink():
                files += 1
                total += f.stat().st_size
        j.end.files, j.end.bytes = files, total
        j.end.details = {"backup_id": b.id, "to": str(to), "paths": paths or []}
    return j.id, files, total


def place_extracted(staging: Path, to: Path, sources: list[str]) -> None:
    """Move what the engine extracted (full original paths) into `to` as the archive engine
    lays a restore out: each source under its base name (`Documents/…`); anything else keeps
    its path."""
    for name, src in top_names(sources).items():
        root = staging / src.strip("/")
        if root.exists() and src.strip("/"):
            _merge(root, to / name)
            for parent in root.parents:  # the now empty folders above it
                if parent == staging or any(parent.iterdir()):
                    break
                parent.rmdir()
    for entry in list(staging.iterdir()) if staging.is_dir() else []:
        _merge(entry, to / entry.name)


def _merge(src: Path, dst: Path) -> None:
    """Rename `src` to `dst`; folders that exist on both sides are merged, files replaced."""
    if src.is_dir() and not src.is_symlink() and dst.is_dir() and not dst.is_symlink():
        for child in list(src.iterdir()):
            _merge(child, dst / child.name)
        src.rmdir()
        return
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def delete_backup(cat: Catalogue, backup_id: int, *, trigger: str = JobTrigger.MANUAL.value,
                  app_paths: AppPaths | None = None, secrets: Any = None) -> int:
    """Delete the archive from its repository (a delete job), then its record."""
    b = get_backup(cat, backup_id)
    plan = _plan_of(cat, b)
    with repo_job(cat, plan, JobKind.DELETE.value, paths=app_paths, secrets=secrets,
                  trigger=trigger, details={"backup_id": b.id}, location=_location(b)) as rj:
        repo, j = rj.repo, rj.job
        found = repo.archive_info(b.name, j.cancel).id
        if b.details.get("id") and found != b.details["id"]:
            raise ConfigError(f"Delete refused: the archive named {b.name} in {repo.location} "
                              f"is not the one backup {b.id} recorded (another archive took "
                              "its name). Nothing was deleted; refresh the plan.")
        j.log(f"Deleting archive {b.name} from {repo.location}.")
        j.log(repo.delete([b.name], j.cancel))
        forget_backup(cat, b.id)
        remove_quietly(cat, b.plan_id, [b.id])
        rep = refresh_records(cat, plan, repo, j.cancel)
        j.log(rep.summary())
        j.end.details = {"backup_id": b.id, "archive": b.name, "warnings": rep.warnings}
    return j.id


def browse(cat: Catalogue, backup_id: int, tree: Any, *,
           app_paths: AppPaths | None = None, secrets: Any = None,
           cancel: CancelToken | None = None,
           progress: ProgressCallback = no_progress) -> Any:
    """Stream the archive's contents into `tree`, the engine's tree type (not a job:
    read-only, nothing to record)."""
    b = get_backup(cat, backup_id)
    plan = _plan_of(cat, b)
    repo = open_repository(plan, app_paths, secrets, location=_location(b)).repo
    return repo.browse(b.name, tree, progress, cancel or CancelToken())


def verify_backups(cat: Catalogue, items: list[BackupInfo], *,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None,
                   paths: AppPaths | None = None) -> list[LocationResult]:
    """One check job per archive; results for core.verify.store. A repository that cannot be
    reached (moved, busy, a wrong passphrase, a host that does not answer) makes its archives
    "unverified" with the reason, and the others are still checked."""
    from core.verify import ArtifactResult, LocationResult  # core.verify calls this module

    out: list[LocationResult] = []
    unreached: dict[str, str] = {}  # repository -> why it could not be reached
    for b in items:
        locs = [loc for loc in b.locations if loc.state not in SKIPPED]
        if not locs:
            continue
        loc = locs[0]
        r = LocationResult(b.id, loc.id, loc.destination, loc.path)
        out.append(r)
        where = str(b.details.get("repository") or loc.path)
        try:
            if where in unreached:
                raise _Unreached(unreached[where])
            plan = _plan_of(cat, b)
            with repo_job(cat, plan, JobKind.CHECK.value, paths=paths, progress=progress,
                          cancel=cancel, details={"backup_id": b.id},
                          location=_location(b)) as rj:
                rj.log(f"Checking archive {b.name}.")
                rj.log(rj.repo.check(rj.job.progress, rj.cancel, archive=b.name))
            r.artifacts.append(ArtifactResult(b.name, LocationState.OK.value))
        except CancelledError:
            raise
        except BackupDeskError as e:
            if e.kind == ARCHIVE_MISSING:  # the repository answered: the archive is gone
                r.artifacts.append(ArtifactResult(b.name, LocationState.MISSING.value,
                                                  error=str(e)))
            elif e.kind == DAMAGED:  # checked and found damage: a verdict on the data
                r.artifacts.append(ArtifactResult(b.name, LocationState.CORRUPT.value,
                                                  error=str(e)))
            else:  # missing, busy, passphrase, ssh, timeout, no program: no verdict
                unreached[where] = r.error = str(e)
                r.state = LocationState.UNVERIFIED.value
                continue
        r.state = r.artifacts[0].state
    return out


class _Unreached(BackupDeskError):
    """The repository already failed to answer for an earlier archive."""
