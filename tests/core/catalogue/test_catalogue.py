import os
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text, update

from core.catalogue import open_catalogue
from core.catalogue.db import HEAD_REVISION, MIGRATIONS_DIR, current_revision, upgrade
from core.catalogue.jobs import (
    append_log,
    finish_job,
    heartbeat,
    plan_lock_key,
    record_external_job,
    recover_interrupted,
    start_job,
)
from core.catalogue.schema import Job, JobLog
from core.errors import CatalogueError, LockedError
from core.timeutil import utcnow
from tests.core.helpers import orm_session


def test_new_sqlite_catalogue_is_private_wal_and_at_head(tmp_path):
    path = tmp_path / "sub" / "cat.sqlite3"
    cat = open_catalogue(f"sqlite:///{path}")
    start_job(cat, engine="archive", kind="backup")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) == 0o600
    with cat.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert current_revision(cat.engine) == HEAD_REVISION
    cat.dispose()


def test_head_revision_constant_matches_the_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_catalogue_created_at_first_revision_is_upgraded_in_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO plans (id, name, engine, enabled, sources, excludes, options,"
                       " created_at, updated_at) VALUES (1, 'old', 'archive', 1, '[]', '[]', '{}',"
                       " '2025-01-01 00:00:00', '2025-01-01 00:00:00')"))
        c.execute(text("INSERT INTO jobs (id, plan_id, plan_name, engine, kind, trigger, status,"
                       " requested_by, host, created_at, started_at, details) VALUES (7, 1, 'old',"
                       " 'archive', 'backup', 'manual', 'success', 'ann', 'h',"
                       " '2025-01-01 00:00:00', '2025-01-01 00:00:00', '{}')"))
        assert not engine.dialect.has_table(c, "remote_nodes")
    engine.dispose()
    inode = (tmp_path / "old.sqlite3").stat().st_ino
    cat = open_catalogue(url)
    assert current_revision(cat.engine) == HEAD_REVISION
    assert (tmp_path / "old.sqlite3").stat().st_ino == inode  # same file, not recreated
    with orm_session(cat) as s:
        job = s.get(Job, 7)
        assert job is not None and job.plan_name == "old" and job.requested_by == "ann"
    with cat.engine.connect() as c:
        assert cat.engine.dialect.has_table(c, "remote_nodes")
        names = {r[1] for r in c.exec_driver_sql("PRAGMA index_list('jobs')")}
    assert {"ix_jobs_duration", "ix_jobs_bytes", "ix_jobs_started"} <= names
    cat.dispose()


def test_unusable_catalogue_gives_a_clear_error(tmp_path):
    with pytest.raises(CatalogueError, match="Not a valid catalogue URL"):
        open_catalogue("not a url")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CatalogueError, match="Cannot create catalogue file"):
        open_catalogue(f"sqlite:///{blocker}/cat.sqlite3")
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogueError, match=r"is damaged \(not an SQLite database"):
        open_catalogue(f"sqlite:///{tmp_path / 'junk.sqlite3'}")


def test_job_lifecycle_records_duration_log_and_releases_lock(catalogue):
    jid = start_job(catalogue, engine="archive", kind="backup", plan_name="p",
                    lock_key=plan_lock_key(1))
    append_log(catalogue, jid, "line one")
    append_log(catalogue, jid, "line two\n")
    heartbeat(catalogue, jid, bytes=10)
    with pytest.raises(LockedError, match="already running"):
        start_job(catalogue, engine="archive", kind="backup", plan_name="p",
                  lock_key=plan_lock_key(1))
    finish_job(catalogue, jid, "success", bytes=1234, files=3)
    with orm_session(catalogue) as s:
        job = s.get(Job, jid)
        assert job.status == "success" and job.bytes == 1234 and job.files == 3
        assert job.lock_key is None and job.duration_ms is not None and job.duration_ms >= 0
        assert job.requested_by and job.pid == os.getpid()
        assert s.get(JobLog, jid).text == "line one\nline two\n"
    again = start_job(catalogue, engine="archive", kind="backup", lock_key=plan_lock_key(1))
    assert again != jid


def test_lock_is_refused_to_another_process(catalogue, home):
    jid = start_job(catalogue, engine="archive", kind="backup", plan_name="nightly",
                    lock_key=plan_lock_key(5))
    code = (
        "from core.catalogue import open_catalogue\n"
        "from core.catalogue.jobs import start_job, plan_lock_key\n"
        "from core.errors import LockedError\n"
        f"cat = open_catalogue({str(catalogue.url)!r})\n"
        "try:\n"
        "    start_job(cat, engine='archive', kind='backup', plan_name='nightly',"
        " lock_key=plan_lock_key(5))\n"
        "except LockedError as e:\n"
        "    print('LOCKED', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("LOCKED nightly is already running (job")
    finish_job(catalogue, jid, "success")


def test_job_of_a_dead_process_is_marked_interrupted(catalogue):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    jid = start_job(catalogue, engine="borg", kind="backup", lock_key="plan:9")
    alive = start_job(catalogue, engine="borg", kind="backup", lock_key="plan:10")
    foreign = start_job(catalogue, engine="borg", kind="backup")
    fresh_foreign = start_job(catalogue, engine="borg", kind="backup")
    with orm_session(catalogue) as s:
        s.execute(update(Job).where(Job.id == jid).values(pid=dead.pid))
        s.execute(update(Job).where(Job.id == foreign).values(
            host="other-host", heartbeat_at=utcnow() - timedelta(hours=1)))
        s.execute(update(Job).where(Job.id == fresh_foreign).values(host="other-host"))
    assert sorted(recover_interrupted(catalogue)) == sorted([jid, foreign])
    with orm_session(catalogue) as s:
        j = s.get(Job, jid)
        assert j.status == "interrupted" and j.lock_key is None
        assert f"process {dead.pid}" in j.error
        assert "no sign of life from other-host" in s.get(Job, foreign).error
        assert s.get(Job, alive).status == "running"
        assert s.get(Job, fresh_foreign).status == "running"
    # The dead job's plan lock is free again.
    start_job(catalogue, engine="borg", kind="backup", lock_key="plan:9")


def test_opening_the_catalogue_recovers_interrupted_jobs(home):
    from core.config import AppConfig

    url = AppConfig.resolve(str(home)).catalogue_url
    home.joinpath("data").mkdir(parents=True)
    cat = open_catalogue(url)
    jid = start_job(cat, engine="archive", kind="backup")
    with orm_session(cat) as s:
        s.execute(update(Job).where(Job.id == jid).values(pid=2**22 + 12345))
    cat.dispose()
    cat = open_catalogue(url)
    with orm_session(cat) as s:
        assert s.scalar(select(Job.status).where(Job.id == jid)) == "interrupted"
    cat.dispose()


def test_external_job_is_recorded_once(catalogue):
    t0 = utcnow() - timedelta(hours=3)
    kw = dict(external_ref="borg:abc", engine="borg", kind="backup", started_at=t0,
              finished_at=t0 + timedelta(minutes=2), bytes=99, log="from borg list")
    first = record_external_job(catalogue, **kw)
    assert first is not None
    assert record_external_job(catalogue, **kw) is None
    with orm_session(catalogue) as s:
        j = s.get(Job, first)
        assert (j.trigger, j.duration_ms, j.bytes) == ("external", 120000, 99)


def test_sqlite_file_readable_by_the_stdlib(catalogue, home):
    start_job(catalogue, engine="archive", kind="backup", plan_name="x")
    db = home / "data" / "catalogue.sqlite3"
    with sqlite3.connect(db) as c:
        assert c.execute("select plan_name from jobs").fetchall() == [("x",)]
