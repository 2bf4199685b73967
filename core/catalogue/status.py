"""What a plan's status is computed from (core.status): its backup schedule, last results and
its latest backup's copies, for every plan in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, to_datetime
from core.catalogue.enums import JobKind, JobStatus


@dataclass(frozen=True, slots=True)
class PlanFacts:
    plan_id: int
    plan: str
    enabled: bool
    created_at: datetime | None  # naive UTC
    schedule: str | None  # its first enabled backup schedule: expression and zone
    timezone: str | None
    last_success: datetime | None  # naive UTC: the end of its latest successful backup job
    last_result: str | None  # status and error of its latest finished backup job
    last_error: str | None
    latest_backup: int | None
    copies: tuple[tuple[str, str], ...]  # (destination, state) of the latest backup's copies


def plan_facts(cat: Catalogue) -> list[PlanFacts]:
    """Every plan, by name."""
    backup = JobKind.BACKUP.value
    with cat.db.connect() as c:
        plans = c.rows("SELECT id, name, enabled, created_at FROM plans ORDER BY name")
        scheds = c.rows("SELECT plan_id, expression, timezone FROM schedules"
                        " WHERE kind = ? AND enabled = ? ORDER BY id", [backup, True])
        copies = _latest_copies(c)
        ok = {pid: to_datetime(t) for pid, t in c.rows(
            "SELECT plan_id, max(finished_at) FROM jobs WHERE kind = ? AND status = ?"
            " GROUP BY plan_id", [backup, JobStatus.SUCCESS.value])}
        by_plan: dict[int, tuple[str | None, str | None]] = {}
        for sched_plan, sched_expr, sched_tz in scheds:
            by_plan.setdefault(sched_plan, (sched_expr, sched_tz))
        out = []
        for pid, name, enabled, created in plans:
            last = c.first(
                "SELECT status, error FROM jobs WHERE plan_id = ? AND kind = ?"
                " AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1",
                [pid, backup])
            expr, tzname = by_plan.get(pid, (None, None))
            latest, locs = copies.get(pid, (None, []))
            out.append(PlanFacts(pid, name, bool(enabled), to_datetime(created), expr, tzname,
                                 ok.get(pid), last[0] if last else None,
                                 last[1] if last else None, latest, tuple(locs)))
    return out


def _latest_copies(c: Conn) -> dict[int, tuple[int, list[tuple[str, str]]]]:
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
