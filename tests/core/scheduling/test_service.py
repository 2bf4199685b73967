"""The scheduler service runs real scheduled jobs (backup then prune, verify, restore test)
and sends one alert per event."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.alerts import Alerts, AlertSettings
from core.catalogue.schema import Job
from core.config import AppPaths
from core.plans import add_plan
from core.scheduling.plan_schedules import set_schedule
from core.scheduling.runtime import SchedulerService
from tests.core.helpers import orm_session
from tests.core.scheduling.clock import ManualClock

T0 = datetime(2026, 6, 1, 9, 0, 30, tzinfo=UTC)


def jobs(cat):
    with orm_session(cat) as s:
        return [(j.kind, j.trigger, j.requested_by, j.status)
                for j in s.scalars(select(Job).order_by(Job.id))]


def service(cat, home, clock, sent):
    paths = AppPaths.resolve(str(home))
    settings = AlertSettings(desktop=True, on_success=True)
    alerts = Alerts(paths, desktop=lambda t, m: sent.append(t), settings=lambda: settings)
    return SchedulerService(cat, paths, clock=clock, alerts=alerts)


def test_scheduled_backup_prunes_and_alerts(catalogue, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    add_plan(catalogue, "docs", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "d1"), str(tmp_path / "d2")],
             options={"keep": {"last": 1}, "full_every": 1})
    set_schedule(catalogue, "docs", "0 * * * *", timezone="UTC")
    sent = []
    clock = ManualClock(T0)
    svc = service(catalogue, home, clock, sent)
    svc.once()
    for _ in range(2):
        clock.advance(hours=1)
        svc.once()
    assert jobs(catalogue) == [("backup", "scheduled", "scheduler", "success"),
                               ("prune", "scheduled", "scheduler", "success")] * 2
    # Only the newest full is left, at both destinations.
    assert len(list((tmp_path / "d1").rglob("manifest.json"))) == 1
    assert len(list((tmp_path / "d2").rglob("manifest.json"))) == 1
    assert sent == ["docs: backup done", "docs: backup done"]


def test_failure_and_overdue_are_each_sent_once(catalogue, home, tmp_path):
    add_plan(catalogue, "gone", "archive", sources=[str(tmp_path / "missing")],
             destinations=[str(tmp_path / "dst")])
    with orm_session(catalogue) as s:
        from core.catalogue.schema import Plan

        s.query(Plan).update({"created_at": (T0 - timedelta(days=1)).replace(tzinfo=None)})
    set_schedule(catalogue, "gone", "0 * * * *", timezone="UTC")
    sent = []
    clock = ManualClock(T0)
    svc = service(catalogue, home, clock, sent)
    svc.once()
    assert sent == ["gone is overdue"]  # due at 08:00, an hour's grace, no success at all
    clock.advance(hours=1)
    svc.once()
    svc.once()
    assert [k for k, *_ in jobs(catalogue)] == ["backup"]
    assert jobs(catalogue)[0][3] == "failed"
    assert sent == ["gone is overdue", "gone: backup failed"]
    clock.advance(hours=1)
    svc.once()  # 11:00: failed again; still the same overdue spell
    assert sent[2:] == ["gone: backup failed"]


def test_scheduled_verify_and_restore_test(catalogue, home, tmp_path):
    from core.jobs.run import run_plan

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(30):
        (src / "sub" / f"f{i}.txt").write_text(f"file {i}")
    add_plan(catalogue, "docs", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "dst")])
    paths = AppPaths.resolve(str(home))
    run_plan(catalogue, paths, "docs")
    set_schedule(catalogue, "docs", "daily at 03:00", kind="verify", timezone="UTC")
    set_schedule(catalogue, "docs", "weekly on mon at 04:00", kind="restore_test",
                 timezone="UTC")
    sent = []
    clock = ManualClock(datetime(2026, 6, 1, 2, 30, tzinfo=UTC))  # a Monday
    svc = service(catalogue, home, clock, sent)
    svc.once()
    clock.advance(minutes=30)
    svc.once()
    clock.advance(hours=1)
    svc.once()
    assert jobs(catalogue)[1:] == [("verify", "scheduled", "scheduler", "success"),
                                   ("restore_test", "scheduled", "scheduler", "success")]
    with orm_session(catalogue) as s:
        rt = s.scalars(select(Job).where(Job.kind == "restore_test")).one()
        assert rt.files == 20
