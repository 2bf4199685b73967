"""Schedules in the catalogue: a plan's schedules, and the scheduler's reads and claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.models import Schedule
from core.catalogue.plans import SCHEDULE_SELECT, insert_schedule, plan_id_of, schedule_from_row


@dataclass(frozen=True, slots=True)
class ActiveSchedule:
    """An enabled schedule of an enabled plan, as the scheduler reads it."""

    id: int
    plan_id: int
    plan: str
    kind: str
    expression: str
    timezone: str | None
    missed_policy: str
    next_due_at: Any  # as the database gave it: compared as such when claiming


def active_schedules(cat: Catalogue, host: str | None = None) -> list[ActiveSchedule]:
    """With `host`: only the schedules of plans that run on that host (or on any host)."""
    where = "s.enabled = ? AND p.enabled = ?"
    params: list[Any] = [True, True]
    if host is not None:
        where += " AND (p.host IS NULL OR p.host = ?)"
        params.append(host)
    with cat.db.connect() as c:
        rows = c.rows(
            "SELECT s.id, s.plan_id, p.name, s.kind, s.expression, s.timezone,"
            " s.missed_policy, s.next_due_at FROM schedules s JOIN plans p ON p.id = s.plan_id"
            f" WHERE {where} ORDER BY s.id", params)
    return [ActiveSchedule(*r) for r in rows]


def claim(cat: Catalogue, schedule_id: int, old: Any, new: datetime,
          ran: datetime | None = None) -> bool:
    """Move the schedule's due time from `old` (as read) to `new`, if no other process did
    first: True when this process took it."""
    sets = ["next_due_at = ?"]
    params: list[Any] = [new]
    if ran is not None:
        sets.append("last_run_at = ?")
        params.append(ran)
    cond = "next_due_at IS NULL" if old is None else "next_due_at = ?"
    params += [schedule_id] if old is None else [schedule_id, old]
    with cat.db.connect() as c:
        return c.execute(f"UPDATE schedules SET {', '.join(sets)} WHERE id = ? AND {cond}",
                         params) == 1


def find_plan_id(cat: Catalogue, plan: str) -> int | None:
    with cat.db.connect() as c:
        return plan_id_of(c, plan)


def put_schedule(cat: Catalogue, plan_id: int, kind: str, expression: str, *,
                 timezone: str | None, enabled: bool, missed: str | None) -> Schedule:
    """Create or replace the plan's schedule of this kind; a new rhythm (expression or zone)
    forgets the stored due time."""
    with cat.db.transaction() as c:
        r = c.first(SCHEDULE_SELECT + " WHERE plan_id = ? AND kind = ? ORDER BY id",
                    [plan_id, kind])
        if r is None:
            sc = Schedule(plan_id=plan_id, kind=kind, expression=expression, timezone=timezone,
                          missed_policy=missed or "catch_up", enabled=enabled)
            insert_schedule(c, plan_id, sc)
            return sc
        sc = schedule_from_row(r)
        if sc.expression != expression or sc.timezone != timezone:
            sc.next_due_at = None  # the scheduler starts the new rhythm from now
        sc.expression, sc.timezone, sc.enabled = expression, timezone, enabled
        sc.missed_policy = missed or sc.missed_policy or "catch_up"
        c.execute("UPDATE schedules SET expression = ?, timezone = ?, enabled = ?,"
                  " missed_policy = ?, next_due_at = ? WHERE id = ?",
                  [sc.expression, sc.timezone, sc.enabled, sc.missed_policy, sc.next_due_at,
                   sc.id])
    return sc


def delete_schedules(cat: Catalogue, plan_id: int, kind: str) -> int:
    with cat.db.connect() as c:
        return c.execute("DELETE FROM schedules WHERE plan_id = ? AND kind = ?", [plan_id, kind])


def schedules_with_plans(cat: Catalogue, plan_id: int | None = None
                         ) -> list[tuple[Schedule, str]]:
    """(schedule, plan name), by plan name and kind."""
    sql = ("SELECT s.id, s.plan_id, s.kind, s.expression, s.timezone, s.missed_policy,"
           " s.enabled, s.last_run_at, s.next_due_at, p.name FROM schedules s"
           " JOIN plans p ON p.id = s.plan_id")
    params: list[Any] = []
    if plan_id is not None:
        sql += " WHERE p.id = ?"
        params.append(plan_id)
    with cat.db.connect() as c:
        rows = c.rows(sql + " ORDER BY p.name, s.kind", params)
    return [(schedule_from_row(r), str(r[9])) for r in rows]


def scheduled_plan_count(cat: Catalogue) -> int:
    """Enabled plans with at least one enabled schedule (what the background service serves)."""
    with cat.db.connect() as c:
        n = c.scalar("SELECT count(DISTINCT s.plan_id) FROM schedules s"
                     " JOIN plans p ON p.id = s.plan_id WHERE s.enabled = ? AND p.enabled = ?",
                     [True, True])
    return int(n or 0)
