"""`restore --into-database` from a remote copy: the dump is downloaded and its SHA-256 checked
before any of it is applied, as the local path checks it before loading (a dump loads as it is
read, so a damaged copy found at its end would leave a half-loaded database). Real S3 server
(rclone serve s3), real PostgreSQL dump; the staged download lives in TMPDIR and is gone after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.core.remote.conftest import S3, flip_byte, run_cli

pytestmark = pytest.mark.postgres


def _sql(pg: Any, db: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, dbname=db,
                         autocommit=True) as c:
        cur = c.execute(sql)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def target(pg_target_database: str) -> str:
    return pg_target_database


def _backup(tmp_path: Path, s3: S3, pg: Any, db: str) -> int:
    _sql(pg, db, "CREATE TABLE t (k int primary key, v text); "
                 "INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 5000) i")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n")
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--database", pg.url(db, driver="postgresql"), "--dest", "s3://bkt/backups",
                "--s3-endpoint", s3.endpoint)
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return int(json.loads(r.stdout)["backup_id"])


def test_a_remote_dump_loads_into_a_database(home: Path, tmp_path: Path, s3: S3,
                                             pg_server: Any, pg_database: str,
                                             target: str) -> None:
    bid = _backup(tmp_path, s3, pg_server, pg_database)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = run_cli("restore", str(bid), "--into-database",
                pg_server.url(target, driver="postgresql"), env={"TMPDIR": str(tmp)})
    assert r.returncode == 0, r.stderr
    assert _sql(pg_server, target, "SELECT count(*), max(v) FROM t") == [(5000, "row 999")]
    assert not [p for p in tmp.rglob("*") if p.is_file()]  # the staged download is gone


def test_a_damaged_remote_dump_is_refused_before_anything_is_loaded(
        home: Path, tmp_path: Path, s3: S3, pg_server: Any, pg_database: str,
        target: str) -> None:
    bid = _backup(tmp_path, s3, pg_server, pg_database)
    dumps = list((s3.root / "bkt").rglob("db-*.pgdump"))
    assert len(dumps) == 1, dumps
    flip_byte(dumps[0], dumps[0].stat().st_size - 10)  # at its end: a streamed load would apply
    r = run_cli("restore", str(bid), "--into-database",
                pg_server.url(target, driver="postgresql"))
    assert r.returncode != 0
    said = [ln for ln in r.stderr.splitlines() if ln.startswith("backupdesk:")]
    assert len(said) == 1 and "damaged" in said[0], r.stderr
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert _sql(pg_server, target, tables) == [(0,)]  # nothing of it was applied
    jobs = json.loads(run_cli("history", "--json").stdout)
    assert jobs[0]["kind"] == "restore" and jobs[0]["status"] == "failed"


def test_a_long_running_process_does_not_keep_the_staged_dump(
        home: Path, tmp_path: Path, s3: S3, pg_server: Any, pg_database: str,
        target: str) -> None:
    """The GUI restores in its own process: the downloaded dump goes once it is loaded, not
    when the application quits."""
    from core.cli.main import main
    from core.remote import fetch

    bid = _backup(tmp_path, s3, pg_server, pg_database)
    assert main(["restore", str(bid), "--into-database",
                 pg_server.url(target, driver="postgresql")]) == 0
    assert _sql(pg_server, target, "SELECT count(*) FROM t") == [(5000,)]
    assert fetch._folder, "the dump was not downloaded by this process"
    assert not [p for p in fetch._folder[0].rglob("*") if p.is_file()]


def test_a_damaged_local_dump_gives_way_to_the_remote_copy(
        home: Path, tmp_path: Path, s3: S3, pg_server: Any, pg_database: str,
        target: str) -> None:
    _sql(pg_server, pg_database, "CREATE TABLE t (k int primary key, v text); INSERT INTO t "
                                 "SELECT i, 'row ' || i FROM generate_series(1, 500) i")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n")
    local = tmp_path / "local-dest"
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--database", pg_server.url(pg_database, driver="postgresql"),
                "--dest", str(local), "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint)
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    bid = json.loads(r.stdout)["backup_id"]
    flip_byte(next(local.rglob("db-*.pgdump")))
    r = run_cli("restore", str(bid), "--into-database",
                pg_server.url(target, driver="postgresql"))
    assert r.returncode == 0, r.stderr
    assert _sql(pg_server, target, "SELECT count(*) FROM t") == [(500,)]
