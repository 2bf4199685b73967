"""Did today's backup run? The banner of the History pane and the tray, per enabled plan from
the plans' status (core.status): green, yellow for a late, damaged or failing plan, red."""

from __future__ import annotations

from datetime import datetime

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobStatus
from core.catalogue.rows import Banner, PlanToday
from core.status import PlanStatus, plan_statuses
from core.timeutil import local_midnight_utc, to_aware, to_naive_utc


def banner(cat: Catalogue, now: datetime | None = None) -> Banner:
    """Did today's backup run? Computed per enabled plan from the plans' status (core.status),
    which also tells the overdue plans."""
    midnight = local_midnight_utc(now)
    statuses = plan_statuses(cat, to_aware(now))
    items: list[PlanToday] = []
    for st in statuses:
        if not st.enabled:
            continue
        last_ok = to_naive_utc(st.last_success) if st.last_success is not None else None
        items.append(PlanToday(st.plan, last_ok if last_ok is not None and last_ok >= midnight
                               else None, st.last_result, st.last_error))
    b = _with_overdue(_banner_from(items), [st.plan for st in statuses if st.overdue])
    return _with_damage(b, [st for st in statuses if st.enabled and st.damaged])


STATE_WORDS = {"size_mismatch": "damaged (wrong size)"}


def _with_damage(b: Banner, damaged: list[PlanStatus]) -> Banner:
    """A damaged or missing copy of a plan's latest backup is named: yellow while another copy
    is healthy, red when none is."""
    if not damaged:
        return b
    parts = [f"the latest backup of {st.plan} (backup {st.latest_backup}) is "
             + ", ".join(f"{STATE_WORDS.get(state, state)} at {dest}" for dest, state in st.damaged)
             for st in damaged]
    text = "; ".join(parts)
    text = text[0].upper() + text[1:] + "."
    level = "error" if any(st.healthy_copies == 0 for st in damaged) else "warning"
    if b.level == "error":
        level = "error"
    return Banner(level, text if b.level in ("ok", "none") else f"{b.text} {text}", b.plans)


def _with_overdue(b: Banner, late: list[str]) -> Banner:
    """Overdue plans turn an ok banner into a warning and are named first."""
    if not late:
        return b
    text = f"Overdue: {', '.join(late)} missed a scheduled backup."
    not_today = {p.plan for p in b.plans if p.last_success is None}
    alone = b.level in ("ok", "none") or (b.level == "warning" and not_today <= set(late))
    return Banner("error" if b.level == "error" else "warning",
                  text if alone else f"{text} {b.text}", b.plans)


def _hhmm(dt: datetime) -> str:
    aware = to_aware(dt)
    assert aware is not None
    return aware.astimezone().strftime("%H:%M")


def _banner_from(items: list[PlanToday]) -> Banner:
    if not items:
        return Banner("none", "No backup plans yet: add one in Settings.", items)
    failing = [p for p in items if p.last_status in (JobStatus.FAILED.value,
                                                      JobStatus.INTERRUPTED.value)]
    if failing:
        names = ", ".join(p.plan for p in failing)
        return Banner("error", f"The last run of {names} failed.", items)
    missing = [p for p in items if p.last_success is None]
    if missing:
        names = ", ".join(p.plan for p in missing)
        return Banner("warning", f"No successful backup today yet for {names}.", items)
    latest = max(p.last_success for p in items if p.last_success is not None)
    return Banner("ok", f"Today's backup completed at {_hhmm(latest)}.", items)
