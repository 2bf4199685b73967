"""The scheduler loop driven by a controllable clock: on time, once, missed runs, sharing."""

from datetime import UTC, datetime, timedelta

import pytest

from core.catalogue.jobs import finish_job, plan_lock_key, start_job
from core.plans import add_plan, get_plan
from core.scheduling.loop import Scheduler
from core.scheduling.plan_schedules import set_schedule
from tests.core.helpers import orm_session
from tests.core.scheduling.clock import ManualClock


@pytest.fixture
def catalogue(any_catalogue):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_catalogue


T0 = datetime(2026, 6, 1, 9, 0, 30, tzinfo=UTC)


def make_plan(cat, tmp_path, name="docs", schedule="*/10 * * * *", missed=None):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text("hello")
    add_plan(cat, name, "archive", sources=[str(src)], destinations=[str(tmp_path / "dst")])
    set_schedule(cat, name, schedule, missed=missed, timezone="UTC")
    return get_plan(cat, name)


def test_sleeps_until_the_next_due_time_and_starts_once(catalogue, tmp_path):
    make_plan(catalogue, tmp_path)
    started = []
    clock = ManualClock(T0)
    s = Scheduler(catalogue, started.append, clock=clock)
    delay = s.tick()  # first sight: the rhythm starts from now, nothing runs
    assert started == [] and delay == 60.0  # capped; the due time is 09:10
    clock.advance(seconds=9 * 60 + 29)
    assert s.tick() == 1.0
    clock.advance(seconds=1)
    s.tick()
    assert [(d.plan, d.kind, d.due_at, d.missed) for d in started] == [
        ("docs", "backup", datetime(2026, 6, 1, 9, 10, tzinfo=UTC), False)]
    assert started[0].lateness == 0
    s.tick()
    assert len(started) == 1


def test_loop_sleeps_to_each_due_time(catalogue, tmp_path):
    make_plan(catalogue, tmp_path, schedule="*/10 * * * *")
    started = []
    holder = {}
    clock = ManualClock(T0, stop_at=T0 + timedelta(minutes=35),
                        on_stop=lambda: holder["s"].stop())
    s = holder["s"] = Scheduler(catalogue, started.append, clock=clock, max_sleep=3600)
    s.run()
    assert [d.due_at.strftime("%H:%M") for d in started] == ["09:10", "09:20", "09:30"]
    assert all(d.lateness == 0 for d in started)
    assert clock.sleeps[:3] == [570.0, 600.0, 600.0]


def test_missed_runs_catch_up_once(catalogue, tmp_path):
    make_plan(catalogue, tmp_path, schedule="0 * * * *")
    started = []
    clock = ManualClock(T0)
    s = Scheduler(catalogue, started.append, clock=clock)
    s.tick()
    clock.advance(hours=5, minutes=20)  # asleep over five due times
    s.tick()
    s.tick()
    assert len(started) == 1 and started[0].missed
    assert started[0].due_at == datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_missed_runs_can_be_skipped(catalogue, tmp_path):
    make_plan(catalogue, tmp_path, schedule="0 * * * *", missed="skip")
    started = []
    clock = ManualClock(T0)
    s = Scheduler(catalogue, started.append, clock=clock)
    s.tick()
    clock.advance(hours=3)
    s.tick()
    assert started == []
    clock.advance(minutes=59, seconds=30)  # 13:00, on time again
    s.tick()
    assert len(started) == 1 and not started[0].missed


def test_two_schedulers_on_one_catalogue_start_a_run_once(catalogue, tmp_path, home):
    from core.catalogue import open_catalogue

    make_plan(catalogue, tmp_path)
    other = open_catalogue(catalogue.url)
    try:
        a, b = [], []
        clock = ManualClock(T0)
        sa = Scheduler(catalogue, a.append, clock=clock)
        sb = Scheduler(other, b.append, clock=clock)
        sa.tick()
        sb.tick()
        clock.advance(minutes=10)
        sb.tick()
        sa.tick()
        assert len(a) + len(b) == 1
    finally:
        other.dispose()


def test_disabled_plans_are_not_started(catalogue, tmp_path):
    from core.catalogue.schema import Plan

    make_plan(catalogue, tmp_path)
    with orm_session(catalogue) as s:
        s.query(Plan).update({"enabled": False})
    started = []
    clock = ManualClock(T0)
    s = Scheduler(catalogue, started.append, clock=clock)
    s.tick()
    clock.advance(hours=2)
    assert s.tick() == 60.0 and started == []


def test_a_plan_already_running_elsewhere_is_not_started_again(catalogue, tmp_path, home):
    from core.config import AppPaths
    from core.scheduling import due_jobs
    from core.scheduling.loop import Due

    plan = make_plan(catalogue, tmp_path)
    holder = start_job(catalogue, engine="archive", kind="backup", plan_id=plan.id,
                       plan_name=plan.name, lock_key=plan_lock_key(plan.id))
    due = Due(1, plan.id, plan.name, "backup", T0, T0, False)
    done = due_jobs.execute(catalogue, AppPaths.resolve(str(home)), due)
    assert done.status == "skipped" and "already running" in (done.error or "")
    finish_job(catalogue, holder, "success")


def _run_days(catalogue, tmp_path, expr, start, days):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    add_plan(catalogue, "ny", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")])
    set_schedule(catalogue, "ny", expr, timezone="America/New_York")
    started = []
    holder = {}
    clock = ManualClock(start, stop_at=start + timedelta(days=days),
                        on_stop=lambda: holder["s"].stop())
    holder["s"] = Scheduler(catalogue, started.append, clock=clock, max_sleep=3600)
    holder["s"].run()
    from zoneinfo import ZoneInfo

    return [d.due_at.astimezone(ZoneInfo("America/New_York")).strftime("%m-%d %H:%M")
            for d in started]


def test_dst_spring_forward_neither_skips_nor_doubles(catalogue, tmp_path):
    runs = _run_days(catalogue, tmp_path, "30 2 * * *", datetime(2026, 3, 6, 12, tzinfo=UTC), 3)
    assert runs == ["03-07 02:30", "03-08 03:00", "03-09 02:30"]


def test_dst_fall_back_neither_skips_nor_doubles(catalogue, tmp_path):
    runs = _run_days(catalogue, tmp_path, "30 1 * * *", datetime(2026, 10, 30, 12, tzinfo=UTC),
                     3)
    assert runs == ["10-31 01:30", "11-01 01:30", "11-02 01:30"]
