"""The verify job: check every copy of the given backups and store the verdicts.

Copies of artifact engines are checked here (core.verify); backups of an engine that keeps
its own repository are checked by it (core.jobs.repository.verify_backups). With a trigger,
the run is a verify job in the history, with a heartbeat while it hashes.
"""

from __future__ import annotations

from core.backups import BackupFilter, BackupInfo, list_backups
from core.catalogue.backups import set_verified
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus, LocationState
from core.config import AppPaths
from core.engines import keeps_repository
from core.errors import NotFoundError
from core.hosts import elsewhere
from core.jobs.lifecycle import job
from core.progress import CancelToken, ProgressCallback, no_progress
from core.remote.resolve import resolver
from core.secrets import SecretStore
from core.timeutil import iso, utcnow
from core.verify import UNREACHED, LocationResult, VerifyReport, verify_locations

SKIPPED = (LocationState.FAILED.value, LocationState.DELETED.value)
# The engine a verify job of several engines' backups (or of none) is recorded under.
MIXED_ENGINES = "archive"


def store_report(cat: Catalogue, report: VerifyReport) -> None:
    """Store each verdict; a copy that could not be reached keeps its last one."""
    now = utcnow()
    set_verified(cat, {r.location_id: (r.state, {"checked_at": iso(now),
                                                 "artifacts": {a.name: a.state
                                                               for a in r.artifacts}})
                       for r in report.locations if r.state != UNREACHED}, now)


def verify_backups(cat: Catalogue, ids: list[int] | None = None, *,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None,
                   trigger: str | None = None,
                   paths: AppPaths | None = None, deep: bool = False) -> VerifyReport:
    """Verify the given backups (all when `ids` is None) and store the results; with a
    `trigger`, the run is also recorded as a verify job in the history. `deep`: download
    and hash the copies at remote destinations (local copies are always read)."""
    items = list_backups(cat, BackupFilter(ids=tuple(ids or ())))
    if ids:
        missing = set(ids) - {b.id for b in items}
        if missing:
            raise NotFoundError(f"No backup {', '.join(str(i) for i in sorted(missing))}.")
    if trigger is None:
        return _verify(cat, items, progress, cancel or CancelToken(), paths, deep)
    plans = {(b.plan_id, b.plan) for b in items}
    engines = {b.engine for b in items}
    plan_id, plan_name = next(iter(plans)) if len(plans) == 1 else (None, "")
    with job(cat, kind=JobKind.VERIFY.value, trigger=trigger,
             engine=engines.pop() if len(engines) == 1 else MIXED_ENGINES,
             plan_id=plan_id, plan_name=plan_name, progress=progress, cancel=cancel) as j:
        report = _verify(cat, items, j.progress, j.cancel, paths, deep)
        j.log([f"backup {r.backup_id} at {r.destination}: {r.state}"
               + (f" ({r.error})" if r.error else "") for r in report.locations]
              or "Nothing to verify.")
        problem = report.problem()
        j.end.status = JobStatus.FAILED if problem else JobStatus.SUCCESS
        j.end.error, j.end.bytes = problem, report.bytes
        j.end.details = {"backup_ids": [b.id for b in items], "deep": deep}
    return report


def _verify(cat: Catalogue, items: list[BackupInfo], progress: ProgressCallback,
            cancel: CancelToken, paths: AppPaths | None, deep: bool) -> VerifyReport:
    kept = [b for b in items if keeps_repository(b.engine)]
    away = elsewhere(cat, items)
    targets = [(b, loc) for b in items if not keeps_repository(b.engine)
               for loc in b.locations if loc.state not in SKIPPED and loc.id not in away]
    remotes = resolver(cat, SecretStore(paths or AppPaths.resolve()))
    report = verify_locations(targets, progress=progress, cancel=cancel, deep=deep,
                              remotes=remotes)
    report.locations += [
        LocationResult(b.id, loc.id, loc.destination, loc.path, UNREACHED,
                       error=f"on {away[loc.id]}'s local disk (not a shared destination): "
                             f"verify it on {away[loc.id]}")
        for b in items if not keeps_repository(b.engine)
        for loc in b.locations if loc.state not in SKIPPED and loc.id in away]
    if kept:
        from core.jobs import repository  # only their jobs load repository engines

        report.locations += repository.verify_backups(cat, kept, progress=progress,
                                                      cancel=cancel, paths=paths)
    store_report(cat, report)
    return report
