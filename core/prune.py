"""Apply a plan's keep rules: archive plans lose whole chains' tails at every destination;
borg plans run borg prune and compact. Each real prune is a job in the history."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from core import retention
from core.backups import BackupFilter, BackupInfo, list_backups
from core.catalogue.db import Catalogue
from core.catalogue.jobs import append_log, finish_job, plan_lock_key, start_job
from core.catalogue.models import JobKind, JobStatus, JobTrigger
from core.config import AppPaths
from core.errors import BackupDeskError, ConfigError
from core.fmt import count
from core.plans import get_plan
from core.timeutil import iso

log = logging.getLogger(__name__)


@dataclass
class PruneItem:
    id: int
    name: str
    type: str
    created_at: str | None
    keep: bool
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type,
                "created_at": self.created_at, "keep": self.keep, "reason": self.reason}


@dataclass
class PruneReport:
    plan: str
    engine: str
    dry_run: bool
    policy: dict[str, int]
    items: list[PruneItem] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    job_id: int | None = None
    message: str = ""

    @property
    def to_remove(self) -> list[PruneItem]:
        return [i for i in self.items if not i.keep]

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "engine": self.engine, "dry_run": self.dry_run,
                "policy": self.policy, "job_id": self.job_id, "message": self.message,
                "keep": [i.to_json() for i in self.items if i.keep],
                "remove": [i.to_json() for i in self.to_remove],
                "removed": self.removed, "errors": self.errors}


def policy_of(options: dict[str, Any]) -> dict[str, int]:
    keep = options.get("keep")
    return retention.clean_policy(keep if isinstance(keep, dict) else None)


def plan_decisions(cat: Catalogue, plan_name: str, policy: dict[str, int],
                   tz: tzinfo | None = None) -> list[PruneItem]:
    backups = [b for b in list_backups(cat, BackupFilter(plans=(plan_name,)))
               if b.status != "deleted"]
    by_id: dict[int, BackupInfo] = {b.id: b for b in backups}
    items = [retention.Item(b.id, b.created_at, b.parent_id) for b in backups]
    return [PruneItem(d.id, by_id[d.id].name, by_id[d.id].type, iso(by_id[d.id].created_at),
                      d.keep, d.reason)
            for d in retention.decide(items, policy, tz)]


def prune_plan(cat: Catalogue, paths: AppPaths, plan_name: str, *, dry_run: bool = False,
               trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
               tz: tzinfo | None = None) -> PruneReport:
    """Apply the plan's keep rules (or, with `dry_run`, say what they would remove)."""
    plan = get_plan(cat, plan_name)
    policy = policy_of(plan.options)
    report = PruneReport(plan.name, plan.engine, dry_run, policy)
    if plan.engine == "borg":
        return _prune_borg(cat, paths, plan_name, report, trigger, requested_by)
    if plan.engine != "archive":
        raise ConfigError(f"Plans of the {plan.engine} engine cannot be pruned.")
    if not policy:
        report.message = (f"Plan {plan.name!r} has no keep rules; nothing is pruned "
                          "(set them with --keep-last, --keep-daily, ...).")
        return report
    report.items = plan_decisions(cat, plan.name, policy, tz)
    if dry_run:
        n = len(report.to_remove)
        report.message = f"{count(n, 'backup')} would be removed, {len(report.items) - n} kept."
        return report
    report.job_id = start_job(cat, engine=plan.engine, kind=JobKind.PRUNE.value, trigger=trigger,
                              plan_id=plan.id, plan_name=plan.name, requested_by=requested_by,
                              lock_key=plan_lock_key(plan.id))
    try:
        _remove(cat, report)
    except BaseException as e:
        finish_job(cat, report.job_id, JobStatus.FAILED, error=f"Prune failed: {e}")
        raise
    lines = [f"removed {i.id} {i.name} ({i.reason})" for i in report.to_remove
             if i.id in report.removed] + report.errors
    append_log(cat, report.job_id, "\n".join(lines) or "Nothing to remove.")
    status = JobStatus.PARTIAL if report.errors else JobStatus.SUCCESS
    report.message = f"Removed {count(len(report.removed), 'backup')}."
    if report.errors:
        report.message += f" {count(len(report.errors), 'problem')}: {report.errors[0]}"
    finish_job(cat, report.job_id, status, error=report.errors[0] if report.errors else None,
               details={"removed": report.removed, "policy": policy})
    return report


def _remove(cat: Catalogue, report: PruneReport) -> None:
    from core.backup_ops import delete_backups

    # Oldest first; deleting a backup deletes its dependents, all of which are unkept too.
    for item in reversed(report.to_remove):
        if item.id in report.removed:
            continue
        try:
            res = delete_backups(cat, item.id, files=True)
        except BackupDeskError as e:
            report.errors.append(f"backup {item.id}: {e}")
            continue
        report.removed.extend(res.deleted)
        report.errors.extend(res.errors)


def _prune_borg(cat: Catalogue, paths: AppPaths, plan_name: str, report: PruneReport,
                trigger: str, requested_by: str | None) -> PruneReport:
    try:
        from core.jobs.repository import compact, prune
    except ImportError as e:
        raise ConfigError("Pruning borg plans is not available in this version.") from e
    if not report.policy:
        report.message = (f"Plan {plan_name!r} has no keep rules; nothing is pruned "
                          "(set them with --keep-last, --keep-daily, ...).")
        return report
    names = prune(cat, paths, plan_name, dry_run=report.dry_run, trigger=trigger)
    report.items = [PruneItem(0, n, "archive", None, False, "borg prune")
                    for n in names]
    if report.dry_run:
        report.message = f"borg prune would remove {count(len(names), 'archive')}."
        return report
    report.message = f"borg prune removed {count(len(names), 'archive')}."
    if names and get_plan(cat, plan_name).options.get("compact", True):
        compact(cat, paths, plan_name, trigger=trigger)
        report.message += " Repository compacted."
    return report


def after_backup(cat: Catalogue, paths: AppPaths, plan_name: str, *,
                 trigger: str = JobTrigger.SCHEDULED.value) -> PruneReport | None:
    """Prune after a successful backup when the plan has keep rules; never raises for an
    expected failure (it is logged and in the prune job)."""
    plan = get_plan(cat, plan_name)
    if not policy_of(plan.options) or plan.engine != "archive":
        return None
    try:
        return prune_plan(cat, paths, plan_name, trigger=trigger)
    except BackupDeskError as e:
        log.warning("prune of %s after backup failed: %s", plan_name, e)
        return None
