"""What a plan's status is computed from (core.status): its backup schedule, last results and
its latest backup's copies, for every plan in a few queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, in_chunks, placeholders, to_datetime
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.last_backup import LAST_FINISHED, LATEST_JOB, jobs_by_id


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
    """Every plan, by name: an index seek per plan for each fact, never a scan of the jobs or
    the backups."""
    backup = JobKind.BACKUP.value
    with cat.db.connect() as c:
        plans = c.rows(
            f"SELECT p.id, p.name, p.enabled, p.created_at, {LAST_FINISHED}, {LATEST_JOB},"
            " (SELECT max(b.id) FROM backups b WHERE b.plan_id = p.id)"
            " FROM plans p ORDER BY p.name", [backup, JobStatus.SUCCESS.value, backup])
        scheds = c.rows("SELECT plan_id, expression, timezone FROM schedules"
                        " WHERE kind = ? AND enabled = ? ORDER BY id", [backup, True])
        last = jobs_by_id(c, "status, error", (r[5] for r in plans))
        copies: dict[int, list[tuple[str, str]]] = {}
        for bid, dest, state in _rows_in(
                c, "SELECT backup_id, destination, state FROM backup_locations"
                   " WHERE backup_id IN", [r[6] for r in plans if r[6] is not None],
                " ORDER BY id"):
            copies.setdefault(bid, []).append((dest, state))
        by_plan: dict[int, tuple[str | None, str | None]] = {}
        for sched_plan, sched_expr, sched_tz in scheds:
            by_plan.setdefault(sched_plan, (sched_expr, sched_tz))
        out = []
        for pid, name, enabled, created, ok, last_job, latest in plans:
            expr, tzname = by_plan.get(pid, (None, None))
            status, error = last.get(last_job, (None, None))
            out.append(PlanFacts(pid, name, bool(enabled), to_datetime(created), expr, tzname,
                                 to_datetime(ok), status, error, latest,
                                 tuple(copies.get(latest, []))))
    return out


def _rows_in(c: Conn, sql: str, ids: list[Any], tail: str = "") -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for chunk in in_chunks(ids):
        out += c.rows(f"{sql} ({placeholders(len(chunk))}){tail}", chunk)
    return out

