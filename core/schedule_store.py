"""A plan's schedules (backup, verify, restore test): set, clear, list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core import duetimes, schedules
from core.catalogue.db import Catalogue
from core.catalogue.models import Plan, Schedule
from core.errors import NotFoundError, UsageError

KINDS = ("backup", "verify", "restore_test")
POLICIES = ("catch_up", "skip")


def _plan_id(s: Any, plan: str) -> int:
    pid = s.scalar(select(Plan.id).where(Plan.name == plan))
    if pid is None:
        raise NotFoundError(f"No plan named {plan!r}.")
    return int(pid)


def set_schedule(cat: Catalogue, plan: str, expression: str, *, kind: str = "backup",
                 missed: str | None = None, timezone: str | None = None,
                 enabled: bool = True) -> Schedule:
    """Create or replace the plan's schedule of this kind."""
    if kind not in KINDS:
        raise UsageError(f"Unknown schedule kind {kind!r}: use {', '.join(KINDS)}.")
    missed = missed.replace("-", "_") if missed else None
    if missed is not None and missed not in POLICIES:
        raise UsageError("Missed runs are either skipped (skip) or caught up once (catch-up).")
    expr = schedules.normalise(expression)
    if timezone:
        duetimes.zone(timezone)
    with cat.session() as s:
        pid = _plan_id(s, plan)
        row = s.scalars(select(Schedule).where(Schedule.plan_id == pid,
                                               Schedule.kind == kind)).first()
        if row is None:
            row = Schedule(plan_id=pid, kind=kind, expression=expr)
            s.add(row)
        if row.expression != expr or row.timezone != (timezone or None):
            row.next_due_at = None  # the scheduler starts the new rhythm from now
        row.expression, row.timezone, row.enabled = expr, timezone or None, enabled
        row.missed_policy = missed or row.missed_policy or "catch_up"
    return row


def clear_schedule(cat: Catalogue, plan: str, kind: str = "backup") -> bool:
    with cat.session() as s:
        pid = _plan_id(s, plan)
        rows = list(s.scalars(select(Schedule).where(Schedule.plan_id == pid,
                                                     Schedule.kind == kind)))
        for r in rows:
            s.delete(r)
    return bool(rows)


def schedule_json(sc: Schedule, plan: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    z = duetimes.zone(sc.timezone)
    return {"plan": plan, "kind": sc.kind, "expression": sc.expression,
            "timezone": sc.timezone, "missed_policy": sc.missed_policy, "enabled": sc.enabled,
            "next_runs": [t.isoformat() for t in schedules.next_runs(sc.expression, now, 5, z)]}


def list_schedules(cat: Catalogue, plan: str | None = None) -> list[dict[str, Any]]:
    with cat.session() as s:
        q = select(Schedule, Plan.name).join(Plan, Plan.id == Schedule.plan_id)
        if plan is not None:
            q = q.where(Plan.id == _plan_id(s, plan))
        rows = s.execute(q.order_by(Plan.name, Schedule.kind)).all()
        return [schedule_json(sc, name) for sc, name in rows]
