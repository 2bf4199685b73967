"""The watchdog's states per plan, on SQLite and PostgreSQL, with a given `now` (no waiting)."""

from datetime import UTC, datetime, timedelta

import pytest

from core import watch
from core.catalogue.jobs import heartbeat
from core.catalogue.schema import Backup, Job, Plan
from core.plans import add_plan, update_plan
from core.scheduling.plan_schedules import set_schedule
from core.watch.state import evaluate
from tests.core.helpers import add_job, orm_session

BORN = datetime(2026, 5, 1)


@pytest.fixture
def catalogue(any_catalogue):
    return any_catalogue


def new_plan(cat, tmp_path, name="docs", **options):
    plan = add_plan(cat, name, "archive", sources=[str(tmp_path / "src")],
                    destinations=[str(tmp_path / name)], options=options)
    with orm_session(cat) as s:
        s.query(Plan).filter(Plan.id == plan.id).update({"created_at": BORN})
    return plan.id


def verdict(cat, now, name="docs", **kw):
    return next(w for w in evaluate(cat, now, **kw) if w.plan == name)


def at(*a):
    return datetime(*a, tzinfo=UTC)


def test_a_scheduled_plan_is_ok_then_late_then_missing_and_ok_again_after_a_run(
        catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    set_schedule(catalogue, "docs", "daily at 02:00", timezone="UTC")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 2, 0))
    w = verdict(catalogue, at(2026, 6, 2, 2, 30))
    assert w.state == "ok" and w.due == at(2026, 6, 2, 2, 0)  # within the hour's grace
    assert "from its schedule" in w.reason
    late = verdict(catalogue, at(2026, 6, 2, 3, 30))
    assert late.state == "late" and late.since == at(2026, 6, 2, 3, 0)
    assert "backup late" in late.reason and "0 2 * * *" in late.reason
    later = verdict(catalogue, at(2026, 6, 2, 20, 0))
    assert later.state == "late" and later.problems[0].key == late.problems[0].key
    missing = verdict(catalogue, at(2026, 6, 3, 3, 30))
    assert missing.state == "missing" and missing.since == at(2026, 6, 3, 3, 0)
    assert missing.problems[0].key != late.problems[0].key
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 3, 3, 35))
    assert verdict(catalogue, at(2026, 6, 3, 4, 0)).state == "ok"


def test_a_partial_run_counts_as_a_run_and_a_failed_one_does_not(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    set_schedule(catalogue, "docs", "daily at 02:00", timezone="UTC")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 2, 0))
    add_job(catalogue, plan="docs", plan_id=pid, status="failed",
            started=datetime(2026, 6, 2, 2, 0))
    assert verdict(catalogue, at(2026, 6, 2, 4, 0)).state == "late"
    add_job(catalogue, plan="docs", plan_id=pid, status="partial",
            started=datetime(2026, 6, 2, 2, 10))
    assert verdict(catalogue, at(2026, 6, 2, 4, 0)).state == "ok"


def test_expect_daily_watches_a_plan_without_a_schedule_with_its_own_grace(catalogue,
                                                                          tmp_path):
    pid = new_plan(catalogue, tmp_path, expect="daily", grace="30m")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 22, 0),
            trigger="external")
    end = at(2026, 6, 1, 22, 0) + timedelta(seconds=1)
    assert verdict(catalogue, end + timedelta(hours=24, minutes=29)).state == "ok"
    w = verdict(catalogue, end + timedelta(hours=24, minutes=31))
    assert w.state == "late" and "daily, from --expect" in w.reason
    assert verdict(catalogue, end + timedelta(hours=48, minutes=31)).state == "missing"
    # the status command's --grace is for plans that set none: this one keeps 30 minutes
    assert verdict(catalogue, end + timedelta(hours=24, minutes=31),
                   grace=timedelta(hours=5)).state == "late"


def test_expect_with_a_cron_expression_uses_its_due_times(catalogue, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    pid = new_plan(catalogue, tmp_path, expect="30 3 * * *")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 3, 30))
    assert verdict(catalogue, at(2026, 6, 2, 4, 29)).state == "ok"
    assert verdict(catalogue, at(2026, 6, 2, 4, 31)).state == "late"


def test_a_plan_that_never_ran_is_late_from_its_creation(catalogue, tmp_path):
    new_plan(catalogue, tmp_path, expect="hourly")
    assert verdict(catalogue, at(2026, 5, 1, 1, 59)).state == "ok"  # due 01:00, grace 1 h
    assert verdict(catalogue, at(2026, 5, 1, 2, 1)).state == "late"
    w = verdict(catalogue, at(2026, 5, 1, 3, 1))  # 02:00 passed its grace too
    assert w.state == "missing" and "none yet" in w.reason and w.last_success is None


def backups_at(cat, pid, times):
    with orm_session(cat) as s:
        for t in times:
            s.add(Backup(plan_id=pid, plan_name="docs", engine="borg", type="archive",
                         name=f"a-{t:%H%M%d}", created_at=t, details={}))


def test_the_cadence_of_an_external_repository_is_learned_from_its_archives(catalogue,
                                                                            tmp_path):
    pid = new_plan(catalogue, tmp_path)
    first = datetime(2026, 6, 1, 0, 0)
    times = [first + timedelta(hours=6 * i, minutes=i % 3) for i in range(8)]
    backups_at(catalogue, pid, times)
    add_job(catalogue, plan="docs", plan_id=pid, started=times[-1], trigger="external")
    last = at(2026, 6, 2, 18, 1)  # the last archive's time plus the job's second
    w = verdict(catalogue, last + timedelta(hours=6, minutes=30))
    assert w.state == "ok" and "learned from its backups' times" in w.reason
    w = verdict(catalogue, last + timedelta(hours=7, minutes=30))
    assert w.state == "late" and w.cadence and w.cadence.startswith("every 6.0 h")


def test_irregular_backup_times_teach_no_cadence(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    first = datetime(2026, 6, 1)
    backups_at(catalogue, pid, [first + timedelta(hours=h) for h in (0, 1, 30, 31, 200, 201)])
    w = verdict(catalogue, at(2026, 9, 1))
    assert w.state == "ok" and w.reason.startswith("no cadence") and w.due is None


def test_verify_and_restore_test_schedules_are_watched_per_kind(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    set_schedule(catalogue, "docs", "daily at 02:00", timezone="UTC")
    set_schedule(catalogue, "docs", "weekly on sun at 04:00", kind="verify", timezone="UTC")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 8, 2, 0))
    add_job(catalogue, plan="docs", plan_id=pid, kind="verify",
            started=datetime(2026, 5, 31, 4, 0))
    ok = verdict(catalogue, at(2026, 6, 8, 12, 0))
    assert ok.state == "late" and [p.kind for p in ok.problems] == ["verify"]
    assert "verify late" in ok.reason
    add_job(catalogue, plan="docs", plan_id=pid, kind="verify",
            started=datetime(2026, 6, 8, 11, 0))
    assert verdict(catalogue, at(2026, 6, 8, 12, 0)).state == "ok"


def test_a_disabled_plan_is_not_watched(catalogue, tmp_path):
    new_plan(catalogue, tmp_path, expect="hourly")
    update_plan(catalogue, "docs", enabled=False, sources=[str(tmp_path / "src")],
                destinations=[str(tmp_path / "docs")])
    w = verdict(catalogue, at(2026, 7, 1))
    assert w.state == "ok" and w.reason.startswith("disabled")


def test_a_job_running_three_times_its_p95_is_hung(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    for day, minutes in enumerate((10, 12, 11, 30, 9), start=1):
        add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, day, 2, 0),
                duration_ms=minutes * 60_000)
    jid = add_job(catalogue, plan="docs", plan_id=pid, status="running")
    started = datetime(2026, 6, 10, 2, 0)
    with orm_session(catalogue) as s:
        s.query(Job).filter(Job.id == jid).update(
            {"started_at": started, "heartbeat_at": started + timedelta(hours=2),
             "progress_at": started + timedelta(hours=1, minutes=50)})
    assert verdict(catalogue, at(2026, 6, 10, 3, 29)).state == "ok"  # 3 x 30 min = 90 min
    w = verdict(catalogue, at(2026, 6, 10, 3, 31))
    assert w.state == "hung" and w.since == at(2026, 6, 10, 3, 30)
    assert f"job {jid} hung: running for 1 h 31 min" in w.reason and "30 min" in w.reason


def test_a_job_whose_progress_stopped_for_thirty_minutes_is_hung(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path)
    jid = add_job(catalogue, plan="docs", plan_id=pid, status="running")
    heartbeat(catalogue, jid, bytes=100, files=1, phase="writing")
    heartbeat(catalogue, jid, bytes=100, files=1, phase="writing")  # no change
    with orm_session(catalogue) as s:
        moved = s.query(Job.progress_at).filter(Job.id == jid).scalar()
    assert moved is not None
    now = moved.replace(tzinfo=UTC)
    assert verdict(catalogue, now + timedelta(minutes=29)).state == "ok"
    w = verdict(catalogue, now + timedelta(minutes=31))
    assert w.state == "hung" and "no progress for 31 min" in w.reason
    heartbeat(catalogue, jid, bytes=200, files=2, phase="writing")  # it moves again
    with orm_session(catalogue) as s:
        assert s.query(Job.progress_at).filter(Job.id == jid).scalar() > moved


def test_the_latest_backup_with_anomaly_warnings_makes_the_plan_anomalous(catalogue,
                                                                           tmp_path):
    pid = new_plan(catalogue, tmp_path)
    warning = {"kind": "anomaly", "check": "size",
               "text": "size dropped to 412.0 MiB, usual 3.1\u20133.4 GiB"}
    jid = add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 2, 0),
                  details={"warnings": ["one unreadable file", warning]})
    w = verdict(catalogue, at(2026, 6, 1, 3, 0))
    assert w.state == "anomaly" and "412.0 MiB, usual 3.1\u20133.4 GiB" in w.reason
    [alert] = watch.alerts(catalogue, at(2026, 6, 1, 3, 0))
    assert (alert.plan, alert.state, alert.key) == ("docs", "anomaly", f"watch:{pid}:anomaly:"
                                                                        f"job{jid}")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 2, 2, 0))
    assert verdict(catalogue, at(2026, 6, 2, 3, 0)).state == "ok"


def test_alerts_name_each_episode_once(catalogue, tmp_path):
    pid = new_plan(catalogue, tmp_path, expect="daily")
    new_plan(catalogue, tmp_path, "fine", expect="daily")
    add_job(catalogue, plan="docs", plan_id=pid, started=datetime(2026, 6, 1, 2, 0))
    first = watch.alerts(catalogue, at(2026, 6, 2, 4, 0))
    again = watch.alerts(catalogue, at(2026, 6, 2, 9, 0))
    docs = [a for a in first if a.plan == "docs"]
    assert [a.state for a in docs] == ["late"] and docs[0].text.startswith("docs: backup late")
    assert {a.key for a in docs} <= {a.key for a in again}
    assert docs[0].to_json()["since"] == "2026-06-02T03:00:01Z"


def test_the_watch_options_survive_an_edit_that_does_not_name_them(catalogue, tmp_path):
    """The window's plan editor saves the engine's options only."""
    new_plan(catalogue, tmp_path, expect="daily", grace="2h")
    edited = update_plan(catalogue, "docs", sources=[str(tmp_path / "src")],
                         destinations=[str(tmp_path / "docs")], options={"full_every": 3})
    assert (edited.options["expect"], edited.options["grace"]) == ("daily", "2h")
    assert edited.options["full_every"] == 3
