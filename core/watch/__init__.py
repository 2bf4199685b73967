"""The watchdog: is each plan on time, hung or anomalous (core.watch.state), the anomaly checks
on every backup (core.watch.anomaly), and the alerts a notifier sends (`alerts`).

`install()` registers the anomaly checks with the job lifecycle, once per process: the CLI, the
background service and the window call it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.catalogue.db import Catalogue
from core.timeutil import iso

_installed = False


def install() -> None:
    """Run the anomaly checks on every backup job this process finishes (idempotent)."""
    global _installed
    if _installed:
        return
    from core.jobs.lifecycle import add_finisher
    from core.watch.anomaly import check_job

    add_finisher(check_job)
    _installed = True


@dataclass(frozen=True)
class WatchAlert:
    """One state episode of one plan: `key` stays the same while it lasts (alert once)."""

    plan_id: int
    plan: str
    state: str  # late, missing, hung, anomaly
    since: datetime  # aware UTC
    text: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "plan": self.plan, "state": self.state,
                "since": iso(self.since), "text": self.text, "key": self.key}


def alerts(cat: Catalogue, now: datetime | None = None,
           grace: timedelta | None = None) -> list[WatchAlert]:
    """What is wrong at `now` (aware UTC; default the catalogue server's clock), one alert per
    plan and problem; `grace` for the plans that set none (default an hour)."""
    from core.catalogue.watch import db_now
    from core.watch.options import GRACE
    from core.watch.state import evaluate

    return [WatchAlert(w.plan_id, w.plan, p.state, p.since, f"{w.plan}: {p.text}", p.key)
            for w in evaluate(cat, now or db_now(cat), grace or GRACE) for p in w.problems]
