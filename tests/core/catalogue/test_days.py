"""Issue 18 (Show): the calendar strip's day cells and the trend series, from real catalogue
rows in SQLite and PostgreSQL, with local days across a DST change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core.catalogue.schema import Plan
from core.history_days import (
    FAILED,
    LATE,
    MISSING,
    NONE,
    OK,
    PARTIAL,
    offsets,
    plan_strips,
    trend,
)
from core.plans import add_plan
from core.scheduling.plan_schedules import set_schedule
from tests.core.helpers import add_job, orm_session

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 12, 4, 12, 0)  # naive UTC; 13:00 in Rome


def _plan(cat, name, tmp_path, created: datetime) -> int:
    p = add_plan(cat, name, "archive", sources=[str(tmp_path / "src")],
                 destinations=[str(tmp_path / f"dest-{name}")])
    with orm_session(cat) as s:
        s.execute(update(Plan).where(Plan.id == p.id).values(created_at=created))
    return p.id


def _cells(strips, plan):
    (strip,) = [s for s in strips if s.plan == plan]
    return {c.day: c for c in strip.cells}


def test_offsets_follow_the_dst_change():
    since = datetime(2026, 10, 20, tzinfo=ZoneInfo("UTC"))
    until = datetime(2026, 10, 30, tzinfo=ZoneInfo("UTC"))
    # Rome leaves summer time on 25 October 2026 at 01:00 UTC
    assert offsets(since, until, ROME) == [(datetime(2026, 10, 25, 1, 0), 120), (None, 60)]


def test_day_cells_worst_status_late_missing_in_local_days(any_catalogue, tmp_path):
    cat = any_catalogue
    pid = _plan(cat, "docs", tmp_path, datetime(2026, 10, 20, 0, 0))
    set_schedule(cat, "docs", "30 2 * * *", timezone="Europe/Rome")  # 02:30 in Rome
    # Summer time: 00:30 UTC is 02:30 in Rome (on time); winter time: 01:30 UTC.
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 10, 21, 0, 31))
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 10, 22, 0, 31))
    add_job(cat, plan="docs", plan_id=pid, status="failed", started=datetime(2026, 10, 22, 9, 0))
    add_job(cat, plan="docs", plan_id=pid, status="partial", started=datetime(2026, 10, 23, 0, 31))
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 11, 2, 1, 31))
    # 4 hours after its due time: late
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 11, 3, 5, 31))
    # 23:30 UTC on 30 November is 00:30 on 1 December in Rome: a December day
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 11, 30, 23, 30))
    # a verify is not a backup: the day stays missing
    add_job(cat, plan="docs", plan_id=pid, kind="verify", started=datetime(2026, 11, 5, 1, 31))
    # a plan with no schedule: its days are grey unless it ran
    other = _plan(cat, "adhoc", tmp_path, datetime(2026, 9, 1))
    add_job(cat, plan="adhoc", plan_id=other, status="success", started=datetime(2026, 11, 10, 12))

    strips = plan_strips(cat, now=NOW, tz=ROME)
    assert [s.plan for s in strips] == ["adhoc", "docs"]
    assert all(len(s.cells) == 90 for s in strips)
    docs = _cells(strips, "docs")
    assert max(docs) == date(2026, 12, 4) and min(docs) == date(2026, 9, 6)
    assert docs[date(2026, 10, 19)].state == NONE  # before the plan existed
    assert docs[date(2026, 10, 20)].state == MISSING  # created at 02:00 Rome, due 02:30
    assert docs[date(2026, 10, 21)].state == OK
    assert docs[date(2026, 10, 22)].state == FAILED and docs[date(2026, 10, 22)].jobs == 2
    assert docs[date(2026, 10, 23)].state == PARTIAL
    assert docs[date(2026, 10, 24)].state == MISSING
    assert docs[date(2026, 11, 2)].state == OK
    assert docs[date(2026, 11, 3)].state == LATE
    assert "due at 02:30, ran at 06:31" in docs[date(2026, 11, 3)].note
    assert docs[date(2026, 11, 5)].state == MISSING
    assert docs[date(2026, 11, 30)].state == MISSING
    assert docs[date(2026, 12, 1)].state == OK
    assert docs[date(2026, 12, 4)].state == MISSING  # 02:30 passed, grace too
    adhoc = _cells(strips, "adhoc")
    assert adhoc[date(2026, 11, 10)].state == OK
    assert {c.state for d, c in adhoc.items() if d != date(2026, 11, 10)} == {NONE}


def test_today_is_not_missing_before_its_due_time_and_grace(any_catalogue, tmp_path):
    cat = any_catalogue
    _plan(cat, "docs", tmp_path, datetime(2026, 12, 1))
    set_schedule(cat, "docs", "30 12 * * *", timezone="Europe/Rome")  # 11:30 UTC
    cells = _cells(plan_strips(cat, now=NOW, tz=ROME), "docs")
    assert cells[date(2026, 12, 3)].state == MISSING
    assert cells[date(2026, 12, 4)].state == NONE  # due 11:30 UTC, grace until 12:30


def test_trend_series_and_anomaly_band(any_catalogue):
    cat = any_catalogue
    t0 = datetime(2026, 11, 1, 2, 0)
    for i in range(24):
        add_job(cat, plan="docs", status="success", started=t0 + timedelta(days=i),
                bytes=1000 + i, duration_ms=60_000, files=100)
    add_job(cat, plan="docs", status="failed", started=t0 + timedelta(days=25), bytes=None,
            duration_ms=2000)
    add_job(cat, plan="docs", status="success", started=t0 + timedelta(days=26), bytes=400,
            duration_ms=60_000, files=100)
    add_job(cat, plan="other", status="success", started=t0, bytes=10**9)
    tr = trend(cat, "docs", runs=20)
    assert len(tr.job_ids) == 20 and tr.statuses[-2:] == ("failed", "success")
    size, duration, files = tr.series
    assert size.values[-1] == 400 and size.values[-2] is None
    # the band: the last 20 successful runs among those shown (18 of them) -> median of
    # 1006..1023 and 400
    assert size.band is not None and size.band.median == 1014.0
    assert (size.band.low, size.band.high) == (507.0, 3042.0)
    assert duration.values[-2] == 2000.0
    assert files.band is not None and files.band.median == 100.0


def test_a_zone_without_dst_changes(any_catalogue):
    """The machine's zone is often UTC: one offset for the whole window."""
    cat = any_catalogue
    add_job(cat, plan="docs", status="success", started=datetime(2026, 12, 1, 23, 59))
    cells = _cells(plan_strips(cat, now=NOW, tz=ZoneInfo("UTC")), "docs")
    assert cells[date(2026, 12, 1)].state == OK and cells[date(2026, 12, 2)].state == NONE
    tokyo = _cells(plan_strips(cat, now=NOW, tz=ZoneInfo("Asia/Tokyo")), "docs")
    assert tokyo[date(2026, 12, 2)].state == OK and tokyo[date(2026, 12, 1)].state == NONE


def _options(cat, pid: int, **options: str) -> None:
    with orm_session(cat) as s:
        plan = s.get(Plan, pid)
        plan.options = {**(plan.options or {}), **options}


def test_the_strip_uses_the_plans_own_grace_and_expect(any_catalogue, tmp_path):
    cat = any_catalogue
    pid = _plan(cat, "docs", tmp_path, datetime(2026, 11, 1))
    set_schedule(cat, "docs", "30 2 * * *", timezone="Europe/Rome")  # 01:30 UTC in winter
    _options(cat, pid, grace="6h")
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 11, 3, 5, 31))
    add_job(cat, plan="docs", plan_id=pid, status="success", started=datetime(2026, 11, 4, 8, 31))
    # no schedule, but expected daily with the default grace (from its creation, 00:00 UTC)
    other = _plan(cat, "laptop", tmp_path, datetime(2026, 11, 20))
    _options(cat, other, expect="daily")
    add_job(cat, plan="laptop", plan_id=other, status="success",
            started=datetime(2026, 11, 21, 0, 20))
    add_job(cat, plan="laptop", plan_id=other, status="success",
            started=datetime(2026, 11, 22, 3, 0))

    strips = plan_strips(cat, now=NOW, tz=ROME)
    docs = _cells(strips, "docs")
    assert docs[date(2026, 11, 3)].state == OK  # 4 hours after 02:30: within its 6 hours
    assert docs[date(2026, 11, 4)].state == LATE  # 7 hours after
    laptop = _cells(strips, "laptop")
    assert laptop[date(2026, 11, 19)].state == NONE
    assert laptop[date(2026, 11, 21)].state == OK
    assert laptop[date(2026, 11, 22)].state == LATE  # due 01:00 Rome, ran 04:00
    assert laptop[date(2026, 11, 23)].state == MISSING


def test_the_trend_band_is_the_anomaly_checks_band(any_catalogue):
    """One rule: from a plan's fifth backup the checks compare against the four before; the
    chart shows that same band, and a value outside it is what the checks warn about."""
    from core.catalogue.watch import BackupFigures
    from core.watch.anomaly import compare

    cat = any_catalogue
    t0 = datetime(2026, 11, 1, 2, 0)
    sizes = [1000, 1200, 800, 1000]
    for i, b in enumerate(sizes):
        add_job(cat, plan="docs", status="success", started=t0 + timedelta(days=i), bytes=b,
                duration_ms=1000, files=10)
    size = trend(cat, "docs").series[0]
    assert size.band is not None and (size.band.low, size.band.high) == (500.0, 3000.0)
    earlier = [BackupFigures(i, "full", b, 10, 1000) for i, b in enumerate(sizes)]
    for value, warned in ((size.band.low - 1, True), (size.band.low, False),
                          (size.band.high, False), (size.band.high + 1, True)):
        found = compare(BackupFigures(9, "full", int(value), 10, None), 1000, earlier, None)
        assert bool(found) is warned, value
