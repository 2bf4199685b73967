"""Per plan: last success, last result, next due, overdue ("did last night's backup run?"),
and with `watch` the watchdog's state (core.watch.state: ok, late, missing, hung, anomaly).

A plan is overdue when it has no successful backup since the latest due time whose grace period
(default one hour) has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.status import plan_facts
from core.catalogue.watch import db_now
from core.scheduling import due_times
from core.timeutil import iso, to_aware
from core.watch.state import OK, PlanWatch, evaluate

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
    watch: PlanWatch | None = None

    @property
    def watched_ok(self) -> bool:
        return self.watch is None or self.watch.state == OK

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "enabled": self.enabled, "schedule": self.schedule,
                "last_success": iso(self.last_success), "last_result": self.last_result,
                "last_error": self.last_error, "previous_due": iso(self.previous_due),
                "next_due": iso(self.next_due), "overdue": self.overdue,
                "latest_backup": self.latest_backup,
                "damaged_copies": [{"destination": d, "state": st} for d, st in self.damaged],
                **(self.watch.to_json() if self.watch is not None else {})}


def is_overdue(previous_due: datetime | None, last_success: datetime | None) -> bool:
    """`previous_due`: the latest due time whose grace period has passed."""
    if previous_due is None:
        return False
    return last_success is None or last_success < previous_due


def plan_statuses(cat: Catalogue, now: datetime | None = None,
                  grace: timedelta = GRACE, *, watch: bool = False) -> list[PlanStatus]:
    """Every plan's status at `now` (default: the catalogue server's clock); `watch`: with the
    watchdog's verdict (`grace` for the plans that set none)."""
    now = now or db_now(cat)
    verdicts = {w.plan_id: w for w in evaluate(cat, now, grace)} if watch else {}
    out = []
    for f in plan_facts(cat):
        prev: datetime | None = None
        nxt: datetime | None = None
        if f.schedule and f.enabled:
            z = due_times.zone(f.timezone)
            prev = due_times.previous_due(f.schedule, now - grace, z)
            born = to_aware(f.created_at)
            if prev is not None and born is not None and prev < born:
                prev = None
            nxt = due_times.due_after(f.schedule, now, z)[0]
        last_ok = to_aware(f.last_success)
        out.append(PlanStatus(f.plan_id, f.plan, f.enabled, f.schedule, last_ok, f.last_result,
                              f.last_error, prev, nxt, is_overdue(prev, last_ok),
                              f.latest_backup,
                              tuple((d, st) for d, st in f.copies if st in DAMAGED),
                              sum(1 for _, st in f.copies if st not in DAMAGED),
                              verdicts.get(f.plan_id)))
    return out
