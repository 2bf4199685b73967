"""Borg backups from the Backups pane and the CLI: extract (restore), delete, browse."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from core.backups import BackupInfo, get_backup
from core.catalogue.db import Catalogue
from core.catalogue.models import JobKind, JobTrigger, Plan
from core.catalogue.plans import plan_by_id
from core.catalogue.schema import Backup
from core.config import AppPaths
from core.engines.borg import ops, records
from core.engines.borg.jobs import JobEnd, RepoJob, plan_passphrase, run_job
from core.engines.borg.repo import RepoSettings
from core.engines.borg.tree import ArchiveTree
from core.errors import ConfigError, UsageError
from core.progress import CancelToken, ProgressCallback, no_progress


def _plan_of(cat: Catalogue, b: BackupInfo) -> Plan:
    plan = plan_by_id(cat, b.plan_id) if b.plan_id is not None else None
    if plan is None:
        raise ConfigError(f"Backup {b.id} belongs to a plan that was removed; its repository "
                          f"({b.details.get('repository')}) needs a plan to be opened.")
    return plan


def _settings(plan: Plan, b: BackupInfo) -> RepoSettings:
    opts = dict(plan.options)
    opts["repository"] = b.details.get("repository") or opts.get("repository")
    return RepoSettings.from_options(opts)


def restore_archive(cat: Catalogue, backup_id: int, to: Path, *, paths: list[str] | None = None,
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

    def body(job: RepoJob, end: JobEnd) -> tuple[int, int]:
        what = ", ".join(paths) if paths else "everything"
        job.log(f"Extracting {what} of archive {b.name} into {to}.")
        staging = to / f".backupdesk-extract-{job.job_id}"
        try:
            job.log(ops.extract(job.settings, job.env, b.name, staging, paths or [],
                                job.report, job.cancel).log)
            place_extracted(staging, to, list(plan.sources))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        files = total = 0
        for f in to.rglob("*"):
            if f.is_file() and not f.is_symlink():
                files += 1
                total += f.stat().st_size
        end.files, end.bytes = files, total
        end.details = {"backup_id": b.id, "to": str(to), "paths": paths or []}
        return files, total

    job_id, (files, total) = run_job(cat, plan, JobKind.RESTORE.value, body,
                                     paths=app_paths, secrets=secrets, trigger=trigger,
                                     progress=progress, cancel=cancel,
                                     settings=_settings(plan, b),
                                     details={"backup_id": b.id})
    return job_id, files, total


def place_extracted(staging: Path, to: Path, sources: list[str]) -> None:
    """Move what borg extracted (full original paths) into `to` as the archive engine lays a
    restore out: each source under its base name (`Documents/…`); anything else keeps its path."""
    from core.engines.archive.scan import top_names

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


def delete_archive(cat: Catalogue, backup_id: int, *, trigger: str = JobTrigger.MANUAL.value,
                   app_paths: AppPaths | None = None, secrets: Any = None) -> int:
    """Delete the archive from its repository (a delete job), then its record."""
    b = get_backup(cat, backup_id)
    plan = _plan_of(cat, b)
    s = _settings(plan, b)

    def body(job: RepoJob, end: JobEnd) -> None:
        found = ops.archive_info(s, job.env, b.name, job.cancel).id
        if b.details.get("id") and found != b.details["id"]:
            raise ConfigError(f"Delete refused: the archive named {b.name} in {s.location} is "
                              f"not the one backup {b.id} recorded (another archive took its "
                              "name). Nothing was deleted; refresh the plan.")
        job.log(f"Deleting archive {b.name} from {s.location}.")
        job.log(ops.delete_archive(s, job.env, b.name, job.cancel).log)
        with cat.session() as sess:
            row = sess.get(Backup, b.id)
            if row is not None:
                sess.delete(row)
        job.log(records.refresh(cat, plan, s, job.env, job.cancel).summary())
        end.details = {"backup_id": b.id, "archive": b.name}

    return run_job(cat, plan, JobKind.DELETE.value, body, paths=app_paths, secrets=secrets,
                   trigger=trigger, settings=s, details={"backup_id": b.id})[0]


def browse(cat: Catalogue, backup_id: int, tree: ArchiveTree, *,
           app_paths: AppPaths | None = None, secrets: Any = None,
           cancel: CancelToken | None = None,
           progress: ProgressCallback = no_progress) -> ArchiveTree:
    """Stream the archive's contents into `tree` (not a job: read-only, nothing to record)."""
    b = get_backup(cat, backup_id)
    plan = _plan_of(cat, b)
    s = _settings(plan, b)
    return ops.stream_contents(s, s.env(plan_passphrase(plan, secrets, app_paths)), b.name,
                               tree, cancel, progress)
