"""What a due schedule runs: a backup (then prune), a verify, or a restore test; then alerts.

Shared by the headless scheduler and the GUI's scheduler host.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import alerts as alerts_mod
from core.backups import BackupFilter, list_backups
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobTrigger
from core.catalogue.history import job_rows
from core.catalogue.jobs import (
    deep_verified_since,
    failed_since,
    newest_job_id,
    plan_lock_key,
    record_skipped,
)
from core.catalogue.plans import get_plan
from core.config import AppPaths
from core.engines import keeps_repository
from core.errors import BackupDeskError, LockedError
from core.jobs.verify import verify_backups
from core.scheduling.loop import Due
from core.status import GRACE, plan_statuses
from core.timeutil import to_naive_utc, utcnow

log = logging.getLogger(__name__)

SCHEDULED = JobTrigger.SCHEDULED.value
BY = "scheduler"
DEEP_EVERY = timedelta(days=30)


@dataclass(frozen=True)
class Finished:
    due: Due
    job_id: int | None
    status: str  # a job status, or "skipped" (plan busy) / "error" (could not start)
    error: str | None = None


def _backup(cat: Catalogue, paths: AppPaths, due: Due) -> Finished:
    from core.jobs.run import run_plan  # the job modules load only when a backup is due

    # run_plan applies the keep rules after a backup (borg prunes within its own run)
    out = run_plan(cat, paths, due.plan, trigger=SCHEDULED, requested_by=BY)
    return Finished(due, out.job_id, out.status, out.error)


def _verify(cat: Catalogue, paths: AppPaths, due: Due) -> Finished:
    plan = get_plan(cat, due.plan)
    if keeps_repository(plan.engine):  # the repository engine checks its repository
        from core.jobs.repository import check  # only their jobs load repository engines

        check_id = check(cat, paths, plan.name, trigger=SCHEDULED)
        found = job_rows(cat, [check_id])
        return Finished(due, check_id, found[0].status if found else "success",
                        found[0].error if found else None)
    ids = [b.id for b in list_backups(cat, BackupFilter(plans=(plan.name,)))
           if b.status != "deleted"]
    if not ids:
        return Finished(due, None, "skipped", "no backups to verify")
    before = newest_job_id(cat)
    # Once a month the scheduled verify downloads and hashes the remote copies (--deep).
    deep = not deep_verified_since(cat, plan.id, to_naive_utc(due.started_at) - DEEP_EVERY)
    verify_backups(cat, ids, trigger=SCHEDULED, deep=deep)
    job_id = newest_job_id(cat)
    rows = job_rows(cat, [job_id]) if job_id and job_id != before else []
    return Finished(due, job_id, rows[0].status if rows else "success",
                    rows[0].error if rows else None)


def _restore_test(cat: Catalogue, paths: AppPaths, due: Due) -> Finished:
    from core.jobs.restore_check import run_restore_check  # zstandard: only when due

    r = run_restore_check(cat, due.plan, trigger=SCHEDULED)
    return Finished(due, r.job_id, "success" if r.ok else "failed",
                    "; ".join(r.problems[:3]) or None)


KINDS: dict[str, Callable[[Catalogue, AppPaths, Due], Finished]] = {
    "backup": _backup, "verify": _verify, "restore_test": _restore_test}


def execute(cat: Catalogue, paths: AppPaths, due: Due,
            alerts: alerts_mod.Alerts | None = None) -> Finished:
    """Run the due job; never raises for an expected failure; sends its alert."""
    fn = KINDS.get(due.kind)
    try:
        if fn is None:
            raise BackupDeskError(f"Unknown schedule kind {due.kind!r}.")
        done = fn(cat, paths, due)
    except LockedError as e:
        log.info("scheduled %s of %s skipped: %s", due.kind, due.plan, e)
        job_id = record_skipped(cat, kind=due.kind, plan_id=due.plan_id, plan_name=due.plan,
                                lock_key=plan_lock_key(due.plan_id))
        return Finished(due, job_id, "skipped", str(e))
    except BackupDeskError as e:
        log.warning("scheduled %s of %s failed: %s", due.kind, due.plan, e)
        done = Finished(due, None, "error", str(e))
    except Exception as e:
        log.exception("scheduled %s of %s failed", due.kind, due.plan)
        done = Finished(due, None, "error", f"Internal error: {type(e).__name__}: {e}")
    if alerts is not None:
        ref: int | str = (done.job_id if done.job_id is not None
                          else f"s{due.schedule_id}-{int(due.due_at.timestamp())}")
        status = "failed" if done.status == "error" else done.status
        ev = alerts_mod.job_event(ref, due.plan, status, done.error, due.kind)
        if ev is not None:
            alerts.emit(ev)
    return done


def alert_failures(cat: Catalogue, alerts: alerts_mod.Alerts, since: datetime) -> datetime:
    """Alert once for each job of any trigger (a cron `backupdesk run`, the GUI, ...) that failed
    or ended partial after `since` (naive UTC); returns the time to scan from next."""
    scanned_to = utcnow()
    for j in failed_since(cat, since - timedelta(days=2), since):
        ev = alerts_mod.job_event(j.id, j.plan_name or "a job", j.status, j.error, j.kind,
                                  j.trigger)
        if ev is not None:
            alerts.emit(ev)
    return scanned_to


def check_overdue(cat: Catalogue, alerts: alerts_mod.Alerts, now: datetime,
                  grace: timedelta = GRACE) -> tuple[list[str], datetime | None]:
    """Send one overdue alert per plan and overdue spell. The plans that are overdue, and when
    the answer can next change by itself (a due time's grace period ends)."""
    late = []
    soonest: datetime | None = None
    for st in plan_statuses(cat, now, grace):
        if st.overdue and st.previous_due is not None:
            late.append(st.plan)
            last = st.last_success.isoformat() if st.last_success else None
            alerts.emit(alerts_mod.overdue_event(st.plan_id, st.plan,
                                                 st.previous_due.isoformat(), last))
        if st.next_due is not None and (soonest is None or st.next_due + grace < soonest):
            soonest = st.next_due + grace
    return late, soonest
