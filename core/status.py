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
DAMAGED = ("missing", "corrupt", "size_mismatch")


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
    # The plan's latest backup, and its copies known to be damaged: (destination, state).
    latest_backup: int | None = None
    damaged: tuple[tuple[str, str], ...] = ()
    healthy_copies: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "enabled": self.enabled, "schedule": self.schedule,
                "last_success": iso(self.last_success), "last_result": self.last_result,
                "last_error": self.last_error, "previous_due": iso(self.previous_due),
                "next_due": iso(self.next_due), "overdue": self.overdue,
                "latest_backup": self.latest_backup,
                "damaged_copies": [{"destination": d, "state": st} for d, st in self.damaged]}


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
        copies = _latest_copies(c)
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
            latest, locs = copies.get(pid, (None, []))
            out.append(PlanStatus(pid, name, bool(enabled), expr, last_ok,
                                  last[0] if last else None, last[1] if last else None,
                                  prev, nxt, is_overdue(prev, last_ok), latest,
                                  tuple((d, st) for d, st in locs if st in DAMAGED),
                                  sum(1 for _, st in locs if st not in DAMAGED)))
    return out


def _latest_copies(c: Any) -> dict[int, tuple[int, list[tuple[str, str]]]]:
    """Per plan: its latest backup's id and the (destination, state) of each of its copies."""
    rows = c.rows(
        "SELECT b.plan_id, b.id, l.destination, l.state FROM backups b"
        " LEFT JOIN backup_locations l ON l.backup_id = b.id"
        " WHERE b.id = (SELECT max(b2.id) FROM backups b2 WHERE b2.plan_id = b.plan_id)"
        " ORDER BY l.id")
    out: dict[int, tuple[int, list[tuple[str, str]]]] = {}
    for pid, bid, dest, state in rows:
        entry = out.setdefault(pid, (bid, []))
        if dest is not None:
            entry[1].append((dest, state))
    return out
