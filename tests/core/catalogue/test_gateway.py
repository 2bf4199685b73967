"""The catalogue's one data layer (plain SQL over the DB-API), on SQLite and PostgreSQL:
writes with JSON, ids, unique names, cascades, locks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.catalogue.backups import insert_backup, load_backups, set_verified
from core.catalogue.jobs import (
    append_log,
    finish_job,
    get_job,
    job_log,
    recover_interrupted,
    start_job,
)
from core.catalogue.models import Backup, BackupLocation
from core.errors import ConfigError, LockedError, NotFoundError, UsageError
from core.grid.nodes import NodeSpec, add_node, get_node, list_nodes, remove_node, update_node
from core.plans import add_plan, get_plan, list_plans, remove_plan, update_plan
from core.scheduling.plan_schedules import clear_schedule, list_schedules, set_schedule
from core.timeutil import utcnow


def _plan(cat, tmp_path: Path, name: str = "docs"):
    return add_plan(cat, name, "archive", sources=[str(tmp_path / "src")],
                    destinations=[str(tmp_path / "d1"), str(tmp_path / "d2")],
                    schedule="daily at 02:00", options={"keep": {"last": 3}})


def test_plans_round_trip_with_destinations_and_schedules(any_catalogue, tmp_path):
    cat = any_catalogue
    plan = _plan(cat, tmp_path)
    assert plan.id > 0 and plan.options["keep"] == {"last": 3}
    assert [d.location for d in plan.destinations] == [str(tmp_path / "d1"), str(tmp_path / "d2")]
    assert all(d.options.get("marker") for d in plan.destinations)
    assert [(s.kind, s.expression) for s in plan.schedules] == [("backup", "0 2 * * *")]
    with pytest.raises(ConfigError, match="exists already"):
        _plan(cat, tmp_path)
    kept = plan.destinations[1]
    changed = update_plan(cat, "docs", sources=[str(tmp_path / "src")],
                          destinations=[str(tmp_path / "d2"), str(tmp_path / "d3")],
                          schedule=None, new_name="papers", options={"keep": {"last": 5}})
    assert changed.name == "papers" and changed.options["keep"] == {"last": 5}
    assert [(d.id == kept.id, d.position) for d in changed.destinations] == [(True, 0), (False, 1)]
    assert changed.schedules == []
    assert [p.name for p in list_plans(cat)] == ["papers"]
    with pytest.raises(NotFoundError):
        get_plan(cat, "docs")


def test_removing_a_plan_keeps_its_jobs_and_backups(any_catalogue, tmp_path):
    cat = any_catalogue
    plan = _plan(cat, tmp_path)
    jid = start_job(cat, engine="archive", kind="backup", plan_id=plan.id, plan_name=plan.name)
    finish_job(cat, jid, "success")
    bid = insert_backup(cat, Backup(plan_id=plan.id, plan_name=plan.name, job_id=jid,
                                    engine="archive", details={"artifacts": []},
                                    locations=[BackupLocation(destination_id=d.id,
                                                              destination=d.location, path="x")
                                               for d in plan.destinations]))
    remove_plan(cat, plan.name)
    b = load_backups(cat, ids=[bid])[0]
    assert (b.plan_id, b.plan_name) == (None, "docs")
    assert [loc.destination_id for loc in b.locations] == [None, None]  # destinations gone
    job = get_job(cat, jid)
    assert job is not None and job.plan_id is None and job.status == "success"
    assert list_schedules(cat) == []


def test_backups_and_verify_results(any_catalogue, tmp_path):
    cat = any_catalogue
    b = Backup(plan_name="p", engine="archive", size=7, details={"artifacts": [{"name": "a"}]},
               locations=[BackupLocation(destination="/d", path="/d/1")])
    bid = insert_backup(cat, b)
    assert b.locations[0].backup_id == bid
    now = utcnow()
    set_verified(cat, {b.locations[0].id: ("ok", {"by": "test"})}, now)
    got = load_backups(cat, plans=["p"])[0]
    assert got.details == {"artifacts": [{"name": "a"}]}
    loc = got.locations[0]
    assert (loc.state, loc.verify_result) == ("ok", {"by": "test"})
    assert loc.verified_at is not None and abs(loc.verified_at - now) < timedelta(seconds=1)


def test_jobs_lock_log_and_finish(any_catalogue):
    cat = any_catalogue
    jid = start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key="plan:1",
                    details={"a": 1})
    with pytest.raises(LockedError, match=f"p is already running \\(job {jid},"):
        start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key="plan:1")
    append_log(cat, jid, "one")
    append_log(cat, jid, "two\n")
    finish_job(cat, jid, "partial", bytes=9, details={"b": 2})
    job = get_job(cat, jid)
    assert job is not None
    assert (job.status, job.bytes, job.lock_key, job.details) == ("partial", 9, None,
                                                                  {"a": 1, "b": 2})
    assert job_log(cat, jid) == "one\ntwo\n"
    start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key="plan:1")


def test_a_dead_process_job_is_recovered(any_catalogue):
    cat = any_catalogue
    jid = start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key="plan:2")
    with cat.db.connect() as c:
        c.execute("UPDATE jobs SET pid = ? WHERE id = ?", [2**22 + 12345, jid])
    assert recover_interrupted(cat) == [jid]
    job = get_job(cat, jid)
    assert job is not None and job.status == "interrupted" and job.lock_key is None


def test_schedules_and_nodes(any_catalogue, tmp_path):
    cat = any_catalogue
    _plan(cat, tmp_path)
    sc = set_schedule(cat, "docs", "daily at 03:00", kind="verify", missed="skip")
    again = set_schedule(cat, "docs", "daily at 04:00", kind="verify")
    assert again.id == sc.id and again.missed_policy == "skip"
    assert [s["kind"] for s in list_schedules(cat, "docs")] == ["backup", "verify"]
    assert clear_schedule(cat, "docs", "verify") and not clear_schedule(cat, "docs", "verify")
    add_node(cat, NodeSpec("n1", rsync_url="http://127.0.0.1:1/", options={"x": 1}))
    with pytest.raises(UsageError, match="exists already"):
        add_node(cat, NodeSpec("n1", rsync_url="http://127.0.0.1:2/"))
    update_node(cat, "n1", NodeSpec("n2", rsync_url="http://127.0.0.1:3/", poll_interval_s=30))
    assert [(n.name, n.poll_interval_s) for n in list_nodes(cat)] == [("n2", 30)]
    assert get_node(cat, "n2").rsync_url == "http://127.0.0.1:3/status"
    remove_node(cat, "n2")
    with pytest.raises(NotFoundError):
        remove_node(cat, "n2")


def test_what_the_engines_and_backup_operations_write(any_catalogue, tmp_path):
    """The functions that replace the last ORM uses (borg records, deleting backups)."""
    from core.catalogue.backups import delete_backup, set_location_state
    from core.catalogue.jobs import record_external_job
    from core.catalogue.plans import destinations_of

    cat = any_catalogue
    plan = _plan(cat, tmp_path)
    assert [d.id for d in destinations_of(cat, plan.id)] == [d.id for d in plan.destinations]
    now = utcnow()
    outside = record_external_job(cat, external_ref="borg:x", engine="borg", kind="backup",
                                  started_at=now, finished_at=now, plan_id=plan.id)
    assert outside is not None
    assert record_external_job(cat, external_ref="borg:x", engine="borg", kind="backup",
                               started_at=now, finished_at=now) is None
    parent = insert_backup(cat, Backup(plan_id=plan.id, engine="borg", name="a1",
                                       external_id="x", job_id=outside,
                                       locations=[BackupLocation(destination="r", path="r::a1")]))
    child = insert_backup(cat, Backup(plan_id=plan.id, engine="borg", parent_id=parent))
    again = load_backups(cat, ids=[parent])[0]
    assert (again.id, again.name, again.locations[0].path) == (parent, "a1", "r::a1")
    set_location_state(cat, again.locations[0].id, "deleted")
    assert load_backups(cat, ids=[parent])[0].locations[0].state == "deleted"
    delete_backup(cat, parent)
    assert load_backups(cat, ids=[parent]) == []
    assert load_backups(cat, ids=[child])[0].parent_id is None


WRITER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("BEGIN IMMEDIATE")
con.execute("INSERT INTO job_logs (job_id, text) VALUES (999999, 'x')")
print("holding", flush=True)
time.sleep(1.5)
con.execute("DELETE FROM job_logs WHERE job_id = 999999")
con.execute("COMMIT")
"""

RACER = """
import sys
from core.catalogue import open_catalogue
from core.catalogue.jobs import start_job
from core.errors import LockedError
cat = open_catalogue(sys.argv[1])
try:
    start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key="plan:race")
    print("won", flush=True)
except LockedError as e:
    print("locked:", e, flush=True)
sys.stdin.read()  # the winner stays alive (holding its lock) until every racer has answered
"""


def test_writes_wait_for_a_concurrent_writer_process(catalogue, tmp_path):
    import subprocess
    import sys

    path = catalogue.db.sqlite_file
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        _plan(catalogue, tmp_path)  # one transaction of several statements, after the writer's
        jid = start_job(catalogue, engine="archive", kind="backup", plan_name="docs")
    finally:
        assert writer.wait(timeout=60) == 0
    assert get_plan(catalogue, "docs").destinations and get_job(catalogue, jid) is not None


def test_one_of_several_processes_takes_a_lock(catalogue):
    import subprocess
    import sys

    url = f"sqlite:///{catalogue.db.sqlite_file}"
    procs = [subprocess.Popen([sys.executable, "-c", RACER, url], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = []
    for p in procs:
        assert p.stdout is not None
        outs.append(p.stdout.readline().strip())
    for p in procs:
        p.communicate("", timeout=60)
    assert sorted(o.split(":")[0] for o in outs) == ["locked"] * 3 + ["won"], outs
