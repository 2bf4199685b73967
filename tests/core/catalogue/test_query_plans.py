"""The agent's per-plan summaries and the History's change token on a SQLite catalogue whose
statistics (ANALYZE) say what a real one says: nearly every job finished, a few running. Each
statement they run is an index seek (EXPLAIN QUERY PLAN: no scan of the jobs, no sort of a
plan's jobs), and the summaries pick the latest backup job by start."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path

from core.catalogue.db import Catalogue
from core.catalogue.history import change_token
from core.catalogue.summaries import plan_summaries
from core.plans import add_plan
from core.timeutil import utcnow
from tests.core.helpers import add_job

FMT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's datetime text in SQLite


def _fill(cat: Catalogue, tmp_path: Path) -> dict[str, int]:
    """20 plans with 200 finished jobs each (backups and verifies, mostly successful, a day
    to a year old), then a few of a known start: a catalogue shaped like a lab's."""
    rnd = random.Random(5)
    names = ["alpha", "beta", "idle", *(f"p{i:02d}" for i in range(17))]
    ids = {}
    for name in names:
        (tmp_path / name).mkdir()
        ids[name] = add_plan(cat, name, "archive", sources=[str(tmp_path / name)],
                             destinations=[str(tmp_path / f"d-{name}")]).id
    now = utcnow()
    rows = []
    for n in range(4000):
        name = names[n % len(names)]
        if name == "idle":
            continue
        started = now - timedelta(days=1 + rnd.random() * 364)
        rows.append((ids[name], name, "backup" if rnd.random() < 0.8 else "verify",
                     "success" if rnd.random() < 0.9 else "failed",
                     started.strftime(FMT), (started + timedelta(minutes=5)).strftime(FMT)))
    assert cat.db.sqlite_file is not None
    db = sqlite3.connect(cat.db.sqlite_file)
    db.executemany("INSERT INTO jobs (plan_id, plan_name, engine, kind, \"trigger\", status,"
                   " requested_by, host, created_at, started_at, finished_at, details)"
                   " VALUES (?, ?, 'archive', ?, 'scheduled', ?, 'scheduler', 'h', ?5, ?5, ?,"
                   " '{}')", rows)
    db.commit()
    # A later id, an earlier start: the latest by start is the one added first.
    newest = add_job(cat, plan="alpha", plan_id=ids["alpha"], started=now - timedelta(hours=1))
    add_job(cat, plan="alpha", plan_id=ids["alpha"], started=now - timedelta(hours=3),
            status="failed")
    add_job(cat, plan="beta", plan_id=ids["beta"], status="running")
    db.execute("ANALYZE")
    db.close()
    return {**ids, "newest": newest}


def _count(cat: Catalogue, plan_id: int) -> int:
    """The plan's successful backup jobs among the 200 inserted (counted here)."""
    assert cat.db.sqlite_file is not None
    db = sqlite3.connect(cat.db.sqlite_file)
    try:
        return int(db.execute("SELECT count(*) FROM jobs WHERE plan_id = ? AND kind = 'backup'"
                              " AND status = 'success' AND requested_by = 'scheduler'",
                              [plan_id]).fetchone()[0])
    finally:
        db.close()


def _traced(cat: Catalogue) -> list[str]:
    seen: list[str] = []
    with cat.db.connect() as c:  # the pool's one idle connection: the next connect() gets it
        c.raw.set_trace_callback(seen.append)
    return seen


def _job_steps(cat: Catalogue, statements: list[str]) -> list[str]:
    assert cat.db.sqlite_file is not None
    db = sqlite3.connect(cat.db.sqlite_file)
    try:
        return [row[3] for sql in statements
                if sql.lstrip().upper().startswith("SELECT") and "FROM jobs" in sql
                for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        db.close()


def test_summaries_and_change_token_seek_never_scan(catalogue: Catalogue,
                                                    tmp_path: Path) -> None:
    ids = _fill(catalogue, tmp_path)
    seen = _traced(catalogue)
    summaries = {s.plan.name: s for s in plan_summaries(catalogue)}
    top, running = change_token(catalogue)
    statements = list(seen)
    assert summaries["alpha"].last_job is not None
    assert summaries["alpha"].last_job.id == ids["newest"]
    successes = {s.plan.name: s.successes for s in summaries.values()}
    assert successes["alpha"] == 1 + _count(catalogue, ids["alpha"])
    assert successes["p05"] == _count(catalogue, ids["p05"]) > 0
    assert summaries["beta"].last_job is not None
    assert summaries["beta"].last_job.status == "running"
    assert summaries["idle"].last_job is None and summaries["idle"].successes == 0
    assert [r[1] for r in running] == ["running"] and top is not None
    steps = _job_steps(catalogue, statements)
    assert any("jobs" in s for s in steps)
    assert not [s for s in steps if s.startswith("SCAN") and "jobs" in s], steps
    assert not [s for s in steps if "TEMP B-TREE" in s], steps
