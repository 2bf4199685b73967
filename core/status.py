"""Per plan: last success, last result, next due, overdue ("did last night's backup run?").

A plan is overdue when it has no successful backup since the latest due time whose grace period
(default one hour) has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import duetimes
from core.catalogue.db import Catalogue
from core.catalogue.dbapi import to_datetime
from core.catalogue.enums import JobKind, JobStatus
from core.timeutil import iso, to_aware

GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class PlanStatus:
    plan_id: int
    plan: str
    enabled: bool
    schedule: str | None
    last_success: datetime | None  # aware UTC
    last_result: str | None
    last_error: str | None
    previous_due: datetime | None
    next_due: datetime | None
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "enabled": self.enabled, "schedule": self.schedule,
                "last_success": iso(self.last_success), "last_result": self.last_result,
                "last_error": self.last_error, "previous_due": iso(self.previous_due),
                "next_due": iso(self.next_due), "overdue": self.overdue}


def is_overdue(previous_due: datetime | None, last_success: datetime | None) -> bool:
    """`previous_due`: the latest due time whose grace period has passed."""
    if previous_due is None:
        return False
    return last_success is None or last_success < previous_due


def plan_statuses(cat: Catalogue, now: datetime | None = None,
                  grace: timedelta = GRACE) -> list[PlanStatus]:
    now = now or datetime.now(UTC)
    backup = JobKind.BACKUP.value
    with cat.db.connect() as c:
        plans = c.rows("SELECT id, name, enabled, created_at FROM plans ORDER BY name")
        scheds = c.rows("SELECT plan_id, expression, timezone FROM schedules"
                        " WHERE kind = ? AND enabled = ? ORDER BY id", [backup, True])
        ok = {pid: to_datetime(t) for pid, t in c.rows(
            "SELECT plan_id, max(finished_at) FROM jobs WHERE kind = ? AND status = ?"
            " GROUP BY plan_id", [backup, JobStatus.SUCCESS.value])}
        out = []
        by_plan: dict[int, tuple[str | None, str | None]] = {}
        for sched_plan, sched_expr, sched_tz in scheds:
            by_plan.setdefault(sched_plan, (sched_expr, sched_tz))
        for pid, name, enabled, created in plans:
            last = c.first(
                "SELECT status, error FROM jobs WHERE plan_id = ? AND kind = ?"
                " AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1",
                [pid, backup])
            expr, tzname = by_plan.get(pid, (None, None))
            prev: datetime | None = None
            nxt: datetime | None = None
            if expr and enabled:
                z = duetimes.zone(tzname)
                prev = duetimes.previous_due(expr, now - grace, z)
                born = to_aware(to_datetime(created))
                if prev is not None and born is not None and prev < born:
                    prev = None
                nxt = duetimes.due_after(expr, now, z)[0]
            last_ok = to_aware(ok.get(pid))
            out.append(PlanStatus(pid, name, bool(enabled), expr, last_ok,
                                  last[0] if last else None, last[1] if last else None,
                                  prev, nxt, is_overdue(prev, last_ok)))
    return out
