"""A plan's schedules (backup, verify, restore test): set, clear, list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.catalogue import schedules as rows
from core.catalogue.db import Catalogue
from core.catalogue.models import Schedule
from core.errors import NotFoundError, UsageError
from core.scheduling import due_times, expressions

KINDS = ("backup", "verify", "restore_test")
POLICIES = ("catch_up", "skip")


def _plan_id(cat: Catalogue, plan: str) -> int:
    pid = rows.find_plan_id(cat, plan)
    if pid is None:
        raise NotFoundError(f"No plan named {plan!r}.")
    return pid


def set_schedule(cat: Catalogue, plan: str, expression: str, *, kind: str = "backup",
                 missed: str | None = None, timezone: str | None = None,
                 enabled: bool = True) -> Schedule:
    """Create or replace the plan's schedule of this kind."""
    if kind not in KINDS:
        raise UsageError(f"Unknown schedule kind {kind!r}: use {', '.join(KINDS)}.")
    missed = missed.replace("-", "_") if missed else None
    if missed is not None and missed not in POLICIES:
        raise UsageError("Missed runs are either skipped (skip) or caught up once (catch-up).")
    expr = expressions.normalise(expression)
    if timezone:
        due_times.zone(timezone)
    return rows.put_schedule(cat, _plan_id(cat, plan), kind, expr, timezone=timezone or None,
                             enabled=enabled, missed=missed)


def clear_schedule(cat: Catalogue, plan: str, kind: str = "backup") -> bool:
    return rows.delete_schedules(cat, _plan_id(cat, plan), kind) > 0


def schedule_json(sc: Schedule, plan: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    z = due_times.zone(sc.timezone)
    return {"plan": plan, "kind": sc.kind, "expression": sc.expression,
            "timezone": sc.timezone, "missed_policy": sc.missed_policy, "enabled": sc.enabled,
            "next_runs": [t.isoformat() for t in expressions.next_runs(sc.expression, now, 5, z)]}


def list_schedules(cat: Catalogue, plan: str | None = None) -> list[dict[str, Any]]:
    pid = _plan_id(cat, plan) if plan is not None else None
    return [schedule_json(sc, name) for sc, name in rows.schedules_with_plans(cat, pid)]
