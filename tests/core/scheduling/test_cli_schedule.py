"""The scheduling commands end to end: schedule, scheduler --once, prune, status."""

import json
from datetime import datetime

from sqlalchemy import select, update

from core.cli.main import main
from tests.core.helpers import orm_session


def out_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_schedule_prune_status(home, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d"), "--schedule", "daily", "--keep-last", "1",
                 "--full-every", "1"]) == 0
    capsys.readouterr()
    plan = out_json(capsys, "plan", "show", "docs", "--json")
    runs = plan["schedules"][0]["next_runs"]
    assert len(runs) == 5 and all(datetime.fromisoformat(t).tzinfo for t in runs)
    assert plan["options"]["keep"] == {"last": 1}

    data = out_json(capsys, "schedule", "set", "docs", "every 30 minutes", "--missed", "skip",
                    "--timezone", "Europe/Rome", "--json")
    assert data["expression"] == "*/30 * * * *" and data["missed_policy"] == "skip"
    assert all(t.endswith(("+01:00", "+02:00")) for t in data["next_runs"])

    # run without keep rules (a run applies them itself), then prune by hand
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from tests.core.jobs.test_prune import set_keep

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    set_keep(cat, "docs", {})
    for _ in range(3):
        assert main(["run", "docs"]) == 0
    set_keep(cat, "docs", {"last": 1})
    cat.dispose()
    capsys.readouterr()
    dry = out_json(capsys, "prune", "docs", "--dry-run", "--json")
    assert [i["id"] for i in dry["keep"]] == [3]
    assert [(i["id"], i["reason"]) for i in dry["remove"]] == [
        (2, "not kept by any rule"), (1, "not kept by any rule")]
    assert len(list((tmp_path / "d").rglob("manifest.json"))) == 3
    done = out_json(capsys, "prune", "docs", "--json")
    assert sorted(done["removed"]) == [1, 2] and done["job_id"]
    assert len(list((tmp_path / "d").rglob("manifest.json"))) == 1

    st = out_json(capsys, "status", "--json")
    assert [(s["plan"], s["last_result"], s["overdue"]) for s in st] == [
        ("docs", "success", False)]
    assert st[0]["next_due"] and st[0]["last_success"]


def test_scheduler_once_runs_a_due_plan_as_scheduled(home, tmp_path, capsys):
    from core.catalogue import open_catalogue
    from core.catalogue.schema import Job, Schedule
    from core.config import AppConfig

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d"), "--schedule", "hourly"]) == 0
    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        assert main(["scheduler", "--once"]) == 0  # first sight: stores the next due time
        with orm_session(cat) as s:
            assert s.scalars(select(Job)).first() is None
            # Pretend the hour has come: the stored due time is now.
            s.execute(update(Schedule).values(next_due_at=datetime.utcnow()))
        assert main(["scheduler", "--once"]) == 0
        with orm_session(cat) as s:
            [job] = s.scalars(select(Job)).all()
            assert (job.trigger, job.requested_by, job.status) == (
                "scheduled", "scheduler", "success")
    finally:
        cat.dispose()


def test_prune_without_rules_says_so(home, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    assert main(["plan", "add", "p", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    assert main(["prune", "p", "--dry-run"]) == 0
    assert "no keep rules" in capsys.readouterr().out
    assert main(["schedule", "set", "p", "every 90 minutes"]) == 1
    assert "N between 1 and 59" in capsys.readouterr().err


def test_headless_scheduler_stops_on_sigterm(home):
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "core", "scheduler"], stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "BACKUPDESK_HOME": str(home)})
    try:
        assert "running" in proc.stderr.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
