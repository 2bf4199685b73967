"""Database dumps against real servers: SQLite, PostgreSQL (pytest's pg_server), MariaDB."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from core.engines.dumps import mysql, postgres, tools
from core.engines.dumps import ops as dumps
from core.engines.dumps.urls import parse, redact
from core.errors import ConfigError, EngineError, ToolMissingError
from core.progress import CancelToken
from tests.core.archive.conftest import MARIADB_PASSWORD, MariaDb


def test_url_parsing_and_redaction() -> None:
    db = parse("postgresql://ann:p%40ss@db.example:5433/sales")
    assert (db.kind, db.host, db.port, db.user, db.password, db.database) == (
        "postgresql", "db.example", 5433, "ann", "p@ss", "sales")
    assert db.redacted == "postgresql://ann@db.example:5433/sales"
    assert parse("mariadb://u@h/x").kind == "mysql"
    assert parse("sqlite:///var/lib/app.db").database == "/var/lib/app.db"
    assert parse("sqlite:////var/lib/app.db").redacted == "sqlite:///var/lib/app.db"
    assert redact("oracle://u:pw@h/x") == "oracle://u@h/x"
    with pytest.raises(ConfigError, match="Unsupported"):
        parse("oracle://u:pw@h/x")
    with pytest.raises(ConfigError, match="host"):
        parse("mysql:///x")
    assert db.dump_name(0) == "db-1-sales.pgdump"


def test_argv_never_holds_the_password(tmp_path: Path) -> None:
    db = parse("postgresql://ann:topsecret@h:5432/sales")
    argv = postgres.dump_argv("pg_dump", tmp_path / "o")
    assert argv == ["pg_dump", "--format=custom", "--no-password", f"--file={tmp_path / 'o'}"]
    assert postgres.env_for(db)["PGPASSWORD"] == "topsecret"
    m = parse("mysql://bob:topsecret@h:3307/shop")
    argv = mysql.dump_argv("mariadb-dump", Path("/c.cnf"), tmp_path / "o", "shop")
    assert argv[1] == "--defaults-extra-file=/c.cnf" and "--single-transaction" in argv
    assert not any("topsecret" in a for a in argv)
    assert 'password="topsecret"' in mysql.option_file(m)
    with tools.secret_file("x") as f:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert not f.exists()


def test_sqlite_online_backup(tmp_path: Path) -> None:
    src = tmp_path / "app db.sqlite"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [(f"row {i}",) for i in range(1000)])
    conn.commit()  # left open: the backup API copes with a live database
    out = tmp_path / "out.sqlite3"
    dumps.dump(parse(f"sqlite://{src}"), out, CancelToken())
    copy = sqlite3.connect(out)
    assert copy.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    conn.close()
    with pytest.raises(EngineError, match="does not exist"):
        dumps.dump(parse(f"sqlite://{tmp_path}/missing.db"), tmp_path / "m", CancelToken())
    assert not (tmp_path / "m").exists()


@pytest.mark.postgres
def test_postgres_dump_and_load(pg_server: Any, pg_database: str, tmp_path: Path) -> None:
    import psycopg

    url = pg_server.url(pg_database, driver="postgresql")
    with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                         dbname=pg_database, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int primary key, name text)")
        c.execute("INSERT INTO t SELECT g, 'név ' || g FROM generate_series(1, 500) g")
    out = tmp_path / "d.pgdump"
    dumps.dump(parse(url), out, CancelToken())
    assert out.read_bytes()[:5] == b"PGDMP"
    assert dumps.test_connection(parse(url)).startswith("Connected")
    target = f"{pg_database}_r"
    pg_server.admin(f'CREATE DATABASE "{target}"')
    try:
        dumps.load(parse(pg_server.url(target, driver="postgresql")), out, CancelToken())
        with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                             dbname=target) as c:
            assert c.execute("SELECT count(*), max(name) FROM t").fetchone() == (500, "név 99")
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgres_unreachable_and_missing_tool(pg_server: Any, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dead = parse("postgresql://x@127.0.0.1:1/nope")  # nothing listens on port 1
    with pytest.raises(EngineError, match="Cannot reach the database server"):
        dumps.dump(dead, tmp_path / "o", CancelToken())
    assert os.listdir(tmp_path) == []
    missing_db = parse(pg_server.url("no_such_db", driver="postgresql"))
    with pytest.raises(EngineError, match="does not exist"):
        dumps.dump(missing_db, tmp_path / "o", CancelToken())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissingError, match="pg_dump was not found"):
        dumps.dump(dead, tmp_path / "o", CancelToken())


@pytest.mark.mysql
def test_mariadb_dump_and_load(mariadb_server: MariaDb, mariadb_database: str,
                               tmp_path: Path) -> None:
    mariadb_server.sql("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(50)) CHARSET utf8mb4;"
                       "INSERT INTO t VALUES (1, 'árvíztűrő'), (2, 'two');", mariadb_database)
    db = parse(mariadb_server.url(mariadb_database))
    db = dumps.DbUrl(db.kind, db.database, db.host, db.port, db.user, MARIADB_PASSWORD)
    out = tmp_path / "d.sql"
    dumps.dump(db, out, CancelToken())
    assert b"CREATE TABLE `t`" in out.read_bytes()
    target = f"{mariadb_database}_r"
    mariadb_server.sql(f"CREATE DATABASE `{target}`")
    try:
        dumps.load(dumps.DbUrl("mysql", target, db.host, db.port, db.user, db.password), out,
                   CancelToken())
        got = mariadb_server.sql("SELECT id, name FROM t ORDER BY id", target)
        assert got.splitlines() == ["1\tárvíztűrő", "2\ttwo"]
    finally:
        mariadb_server.sql(f"DROP DATABASE IF EXISTS `{target}`")


@pytest.mark.mysql
def test_mariadb_wrong_password(mariadb_server: MariaDb, mariadb_database: str,
                                tmp_path: Path) -> None:
    db = parse(mariadb_server.url(mariadb_database))
    wrong = dumps.DbUrl(db.kind, db.database, db.host, db.port, db.user, "wrong")
    with pytest.raises(EngineError, match="Wrong user name or password"):
        dumps.dump(wrong, tmp_path / "o.sql", CancelToken())
    with pytest.raises(EngineError, match="Wrong user name or password"):
        dumps.test_connection(wrong)
    assert os.listdir(tmp_path) == []
