"""Apply a plan's keep rules (core.retention): an artifact engine's plans lose whole chains'
tails at every destination; an engine that keeps its own repository prunes it, then compacts
it (core.jobs.repository). Each real prune is a job in the history, holding the plan's lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from core import retention
from core.backups import BackupFilter, BackupInfo, list_backups
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus, JobTrigger
from core.catalogue.jobs import plan_lock_key
from core.catalogue.models import Plan
from core.catalogue.plans import get_plan
from core.config import AppPaths
from core.engines import Capability, can, keeps_repository
from core.errors import BackupDeskError, ConfigError
from core.findex.indexing import remove_quietly
from core.fmt import count
from core.jobs.delete import delete_backups
from core.jobs.lifecycle import job
from core.progress import Progress, ProgressCallback, no_progress
from core.timeutil import iso

log = logging.getLogger(__name__)


@dataclass
class PruneItem:
    """A backup a prune keeps or removes, and why."""
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
    """What a prune of a plan kept, removed and failed to remove."""
    plan: str
    engine: str
    dry_run: bool
    policy: dict[str, int]
    items: list[PruneItem] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    job_id: int | None = None
    message: str = ""
    error_kind: str | None = None  # core.errors' kind of the first error

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


def _no_rules(plan_name: str) -> str:
    return (f"Plan {plan_name!r} has no keep rules; nothing is pruned "
            "(set them with --keep-last, --keep-daily, ...).")


def prune_plan(cat: Catalogue, paths: AppPaths, plan_name: str, *, dry_run: bool = False,
               trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
               tz: tzinfo | None = None,
               progress: ProgressCallback = no_progress) -> PruneReport:
    """Apply the plan's keep rules (or, with `dry_run`, say what they would remove).
    `progress` hears each backup as its removal starts."""
    plan = get_plan(cat, plan_name)
    if not can(plan.engine, Capability.PRUNE):
        raise ConfigError(f"Plans of the {plan.engine} engine cannot be pruned.")
    policy = policy_of(plan.options)
    report = PruneReport(plan.name, plan.engine, dry_run, policy)
    if keeps_repository(plan.engine):
        return _prune_repository(cat, paths, plan, report, trigger)
    if not policy:
        report.message = _no_rules(plan.name)
        return report
    report.items = plan_decisions(cat, plan.name, policy, tz)
    if dry_run:
        n = len(report.to_remove)
        report.message = f"{count(n, 'backup')} would be removed, {len(report.items) - n} kept."
        return report
    with job(cat, kind=JobKind.PRUNE.value, engine=plan.engine, plan=plan, trigger=trigger,
             requested_by=requested_by, lock_key=plan_lock_key(plan.id)) as j:
        report.job_id = j.id
        _remove(cat, report, progress)
        remove_quietly(cat, plan.id, report.removed)  # the file index: all of them at once
        j.log([f"removed {i.id} {i.name} ({i.reason})" for i in report.to_remove
               if i.id in report.removed] + report.errors or "Nothing to remove.")
        report.message = f"Removed {count(len(report.removed), 'backup')}."
        j.end.details = {"removed": report.removed, "policy": policy}
        if report.errors:
            report.message += f" {count(len(report.errors), 'problem')}: {report.errors[0]}"
            j.end.status, j.end.error = JobStatus.PARTIAL, report.errors[0]
            j.end.details["error_kind"] = report.error_kind
    return report


def _remove(cat: Catalogue, report: PruneReport, progress: ProgressCallback) -> None:
    # Oldest first; deleting a backup deletes its dependents, all of which are unkept too.
    todo = list(reversed(report.to_remove))
    for done, item in enumerate(todo):
        if item.id in report.removed:
            continue
        progress(Progress("pruning", files_done=done, files_total=len(todo), current=item.name))
        try:
            res = delete_backups(cat, item.id, files=True, unindex=False)
        except BackupDeskError as e:
            report.errors.append(f"backup {item.id}: {e}")
            report.error_kind = report.error_kind or e.kind
            continue
        report.removed.extend(res.deleted)
        report.errors.extend(res.errors)
        report.error_kind = report.error_kind or res.error_kind


def _prune_repository(cat: Catalogue, paths: AppPaths, plan: Plan, report: PruneReport,
                      trigger: str) -> PruneReport:
    """The engine prunes its repository, each step its own job (core.jobs.repository)."""
    from core.jobs import repository  # only their jobs load repository engines

    if not report.policy:
        report.message = _no_rules(plan.name)
        return report
    names = repository.prune(cat, paths, plan, dry_run=report.dry_run, trigger=trigger)
    what = f"{plan.engine} prune"
    report.items = [PruneItem(0, n, "archive", None, False, what) for n in names]
    if report.dry_run:
        report.message = f"{what} would remove {count(len(names), 'archive')}."
        return report
    report.message = f"{what} removed {count(len(names), 'archive')}."
    if names and can(plan.engine, Capability.COMPACT) and plan.options.get("compact", True):
        repository.compact(cat, paths, plan, trigger=trigger)
        report.message += " Repository compacted."
    return report


def after_backup(cat: Catalogue, paths: AppPaths, plan_name: str, *,
                 trigger: str = JobTrigger.SCHEDULED.value) -> PruneReport | None:
    """Prune after a successful backup of an artifact engine's plan with keep rules (an engine
    that keeps its own repository prunes within its run); never raises for an expected
    failure (it is logged and in the prune job)."""
    plan = get_plan(cat, plan_name)
    if (not policy_of(plan.options) or keeps_repository(plan.engine)
            or not can(plan.engine, Capability.PRUNE)):
        return None
    try:
        return prune_plan(cat, paths, plan_name, trigger=trigger)
    except BackupDeskError as e:
        log.warning("prune of %s after backup failed: %s", plan_name, e)
        return None
