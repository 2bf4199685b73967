"""What the History draws: a calendar strip per plan (one cell a local day) and a plan's
trend over its last runs with the anomaly band."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.catalogue import days as q
from core.catalogue.db import Catalogue
from core.catalogue.watch import BASELINE, db_now
from core.scheduling.due_times import local_zone
from core.timeutil import to_aware, to_naive_utc
from core.watch.anomaly import Band
from core.watch.anomaly import band as anomaly_band
from core.watch.options import GRACE
from core.watch.state import backup_cadences

DAYS = 90
RUNS = 90

# Cell states, worst first within a colour: red failed/missing, yellow partial/late,
# green ok, grey none (not due, no job).
FAILED, MISSING, PARTIAL, LATE, OK, NONE = "failed", "missing", "partial", "late", "ok", "none"
_BY_RANK = {q.RANK_FAILED: FAILED, q.RANK_PARTIAL: PARTIAL, q.RANK_SUCCESS: OK}


@dataclass(frozen=True, slots=True)
class DayCell:
    day: date
    state: str
    jobs: int
    note: str  # the cell's tooltip line


@dataclass(frozen=True, slots=True)
class PlanStrip:
    plan: str
    cells: tuple[DayCell, ...]  # oldest first, the last one today


def offsets(since: datetime, until: datetime, tz: tzinfo) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offsets over [since, until) (aware UTC) as (naive UTC end, minutes east),
    the last ending None: found hour by hour, DST changes fall on whole or half hours."""
    def minutes(t: datetime) -> int:
        off = t.astimezone(tz).utcoffset() or timedelta()
        return int(off.total_seconds() // 60)

    out: list[tuple[datetime | None, int]] = []
    t = since
    current = minutes(t)
    while t < until:
        step = t + timedelta(minutes=30)
        m = minutes(step)
        if m != current:
            out.append((to_naive_utc(step), current))
            current = m
        t = step
    out.append((None, current))
    return out


def _local_midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC)


def _expected(cat: Catalogue, first: date, now: datetime, tz: tzinfo
              ) -> dict[str, tuple[dict[date, datetime], timedelta]]:
    """Per plan with a backup cadence (the watchdog's: --expect, else its schedule, else learned
    from its backups' times): each local day's first due time (aware UTC) whose grace (the
    plan's --grace) has passed, from the later of the strip's start and the plan's creation;
    and that grace."""
    out: dict[str, tuple[dict[date, datetime], timedelta]] = {}
    for name, (c, grace, born) in backup_cadences(cat).items():
        start = _local_midnight(first, tz)
        if born is not None:
            start = max(start, born)
        days: dict[date, datetime] = {}
        due = c.due_after(start)
        while due + grace <= now:
            days.setdefault(due.astimezone(tz).date(), due)
            due = c.due_after(due)
        out[name] = (days, grace)
    return out


def _cell(d: date, row: q.DayRow | None, due: datetime | None, grace: timedelta, tz: tzinfo
          ) -> DayCell:
    jobs = row.jobs if row else 0
    runs = f"{jobs} backup{'s' if jobs != 1 else ''}"
    if row is not None and row.worst in (q.RANK_FAILED, q.RANK_PARTIAL):
        return DayCell(d, _BY_RANK[row.worst], jobs, f"{runs}, worst {_BY_RANK[row.worst]}")
    good = row.first_good.replace(tzinfo=UTC) if row and row.first_good else None

    def at(t: datetime) -> str:
        return t.astimezone(tz).strftime("%H:%M")

    if due is not None and good is None:
        return DayCell(d, MISSING, jobs, f"due at {at(due)}, no backup succeeded")
    if due is not None and good is not None and good > due + grace:
        return DayCell(d, LATE, jobs, f"due at {at(due)}, ran at {at(good)}")
    if row is not None and row.worst == q.RANK_SUCCESS:
        return DayCell(d, OK, jobs, f"{runs}, all succeeded")
    return DayCell(d, NONE, jobs, runs if jobs else "no backup due")


def plan_strips(cat: Catalogue, *, now: datetime | None = None, tz: tzinfo | None = None,
                days: int = DAYS) -> list[PlanStrip]:
    """One strip per current plan (and per past plan name with jobs in the window), by name."""
    now = to_aware(now) or db_now(cat)
    tz = tz or local_zone()
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    since = _local_midnight(first, tz)
    until = _local_midnight(today + timedelta(days=1), tz)
    rows = q.backup_days(cat, to_naive_utc(since), to_naive_utc(until),
                         offsets(since, until, tz))
    by_plan: dict[str, dict[date, q.DayRow]] = {}
    for r in rows:
        by_plan.setdefault(r.plan, {})[r.day] = r
    expected = _expected(cat, first, now, tz)
    names = sorted({p.name for p in q.plan_rows(cat)} | set(by_plan) - {""})
    span = [first + timedelta(days=i) for i in range(days)]
    strips = []
    for name in names:
        due, grace = expected.get(name, ({}, GRACE))
        strips.append(PlanStrip(name, tuple(_cell(d, by_plan.get(name, {}).get(d), due.get(d),
                                                  grace, tz) for d in span)))
    return strips


@dataclass(frozen=True, slots=True)
class Series:
    name: str  # "size", "duration", "files"
    values: tuple[float | None, ...]  # one per run, oldest first
    band: Band | None  # None until the plan has enough successful runs


@dataclass(frozen=True, slots=True)
class Trend:
    plan: str
    job_ids: tuple[int, ...]
    started: tuple[datetime | None, ...]
    statuses: tuple[str, ...]
    series: tuple[Series, ...]


def band(values: Iterable[float | None]) -> Band | None:
    """The anomaly checks' band (core.watch.anomaly) over the last successful runs' values,
    oldest first."""
    return anomaly_band([v for v in values if v is not None][-BASELINE:])


def trend(cat: Catalogue, plan: str, runs: int = RUNS) -> Trend:
    """Size, duration and files over the plan's last `runs` finished backups."""
    rows = q.last_runs(cat, plan, runs)
    ok = [r for r in rows if r.status == "success"]

    def series(name: str, pick: str) -> Series:
        def get(r: q.RunRow) -> float | None:
            v = getattr(r, pick)
            return float(v) if v is not None else None
        return Series(name, tuple(get(r) for r in rows), band(get(r) for r in ok))

    return Trend(plan, tuple(r.id for r in rows), tuple(r.started_at for r in rows),
                 tuple(r.status for r in rows),
                 (series("size", "bytes"), series("duration", "duration_ms"),
                  series("files", "files")))
