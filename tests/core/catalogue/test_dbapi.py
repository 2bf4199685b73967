"""Plain-SQL reads (core.catalogue.dbapi): what SQLAlchemy wrote reads back the same, in
SQLite and PostgreSQL, and the idle reads never load SQLAlchemy."""

import json
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.catalogue import open_catalogue
from core.catalogue.history import history_page, job_detail, plan_names
from core.catalogue.jobs import append_log, finish_job, heartbeat, start_job
from core.catalogue.schema import Job
from core.config import AppConfig
from core.plans import add_plan, update_plan
from core.scheduling.plan_schedules import set_schedule
from tests.core.helpers import orm_session


@pytest.fixture
def catalogue(any_catalogue):
    return any_catalogue


def test_rows_read_back_as_sqlalchemy_wrote_them(catalogue):
    jid = start_job(catalogue, engine="archive", kind="backup", plan_name="docs",
                    details={"sources": ["/a b", "/ü"]})
    heartbeat(catalogue, jid, bytes=12, files=3)
    append_log(catalogue, jid, "line")
    finish_job(catalogue, jid, "partial", error="1 file unreadable", bytes=12, files=3)
    with orm_session(catalogue) as s:
        job = s.get(Job, jid)
        want = (job.started_at, job.finished_at, job.heartbeat_at, job.duration_ms)
    [row] = history_page(catalogue)
    assert (row.started_at, row.finished_at, row.heartbeat_at, row.duration_ms) == want
    assert isinstance(row.started_at, datetime)
    detail = job_detail(catalogue, jid)
    assert detail.details == {"sources": ["/a b", "/ü"]} and detail.log == "line\n"
    assert (row.status, row.error, row.bytes, row.files) == ("partial", "1 file unreadable", 12, 3)


def test_datetime_parameters_compare_like_stored_values(catalogue):
    jid = start_job(catalogue, engine="archive", kind="backup", plan_name="p")
    finish_job(catalogue, jid, "success")
    with orm_session(catalogue) as s:
        started = s.scalar(select(Job.started_at).where(Job.id == jid))
    with catalogue.db.connect() as c:
        assert c.scalar("SELECT count(*) FROM jobs WHERE started_at = ?", [started]) == 1
        assert c.scalar("SELECT count(*) FROM jobs WHERE started_at > ?",
                        [started - timedelta(microseconds=1)]) == 1
        assert c.scalar("SELECT count(*) FROM jobs WHERE started_at > ?", [started]) == 0


def test_plan_names_by_engine_and_state(catalogue, tmp_path):
    for name in ("b", "a"):
        add_plan(catalogue, name, "archive", sources=[str(tmp_path / "src")],
                 destinations=[str(tmp_path / "d")])
    update_plan(catalogue, "b", sources=[str(tmp_path / "src")], destinations=[str(tmp_path / "d")],
                enabled=False)
    assert plan_names(catalogue) == ["a", "b"]
    assert plan_names(catalogue, enabled_only=True) == ["a"]
    assert plan_names(catalogue, engine="borg") == []


def test_a_failed_statement_leaves_the_pool_usable(home):
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    try:
        with pytest.raises(sqlite3.OperationalError), cat.db.connect() as c:
            c.rows("SELECT nope FROM jobs")
        with cat.db.connect() as c:
            assert c.scalar("SELECT count(*) FROM jobs") == 0
    finally:
        cat.dispose()


def test_files_a_reader_creates_are_private(home):
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    open_catalogue(cfg.catalogue_url).dispose()  # created, migrated, closed: no -wal left
    path = cfg.catalogue_url.removeprefix("sqlite:///")
    old = os.umask(0o022)
    try:
        cat = open_catalogue(cfg.catalogue_url)
        history_page(cat)
        made = [p for p in (path + "-wal", path + "-shm") if os.path.exists(p)]
        assert made and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in made)
        cat.dispose()
    finally:
        os.umask(old)


IDLE_READS = r"""
import json, sys
from datetime import UTC, datetime
from core.catalogue import open_catalogue
from core.catalogue import history
from core.scheduling.loop import Scheduler
from core.status import plan_statuses
from core import today
cat = open_catalogue(sys.argv[1])
history.history_page(cat, history.HistoryFilter(text="disk"), history.HistorySort("size"))
history.history_count(cat)
today.banner(cat)
history.stats(cat)
history.distinct_values(cat)
history.change_token(cat)
history.last_backup(cat)
history.job_detail(cat, 1)
plan_statuses(cat)
Scheduler(cat, lambda due: None).tick()
print(json.dumps({"sqlalchemy": "sqlalchemy" in sys.modules,
                  "rows": len(history.history_page(cat))}))
"""


def test_idle_reads_do_not_load_sqlalchemy(home, tmp_path):
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    add_plan(cat, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")])
    set_schedule(cat, "docs", "daily at 02:00")
    for status in ("success", "failed"):
        jid = start_job(cat, engine="archive", kind="backup", plan_name="docs")
        finish_job(cat, jid, status, error="disk full" if status == "failed" else None)
    cat.dispose()
    out = subprocess.run([sys.executable, "-c", IDLE_READS, cfg.catalogue_url],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"sqlalchemy": False, "rows": 2}


def test_a_vanished_catalogue_file_is_an_error_not_a_new_database(home):
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    path = cfg.paths.data_dir / "catalogue.sqlite3"
    cat.dispose()
    path.unlink()
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        history_page(cat)
    assert not path.exists()


def test_names_that_need_quoting_in_a_uri(tmp_path):
    odd = tmp_path / "a b#%ü"
    cat = open_catalogue(f"sqlite:///{odd}/cat.sqlite3")
    try:
        assert cat.db.sqlite_file is not None
        assert history_page(cat) == [] and plan_names(cat) == []
    finally:
        cat.dispose()
