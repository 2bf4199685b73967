"""Plans with databases, end to end through the CLI: dumps, passwords, restore into a DB."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.destinations import MARKER
from tests.core.archive.conftest import MariaDb


def jrun(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith(("{", "[")) else out


def files_under(p: Path) -> list[Path]:
    return [x for x in p.rglob("*") if x.is_file() and x.name != MARKER] if p.exists() else []


@pytest.mark.postgres
@pytest.mark.mysql
def test_three_databases_backed_up_and_loaded(home: Path, tmp_path: Path, pg_server: Any,
                                              pg_database: str, mariadb_server: MariaDb,
                                              mariadb_database: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import psycopg

    with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                         dbname=pg_database, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int primary key, v text)")
        c.execute("INSERT INTO t VALUES (1, 'pg one'), (2, 'pg two')")
    mariadb_server.sql("CREATE TABLE m (id INT PRIMARY KEY, v TEXT); "
                       "INSERT INTO m VALUES (7, 'seven');", mariadb_database)
    lite = tmp_path / "app.db"
    with sqlite3.connect(lite) as c:
        c.execute("CREATE TABLE s (v)")
        c.execute("INSERT INTO s VALUES ('lite')")
    pg_url = pg_server.url(pg_database, driver="postgresql")
    my_url = mariadb_server.url(mariadb_database, password=True)
    assert main(["plan", "add", "dbs", "--engine", "archive", "--include", "databases",
                 "--dest", str(tmp_path / "d"), "--database", pg_url, "--database", my_url,
                 "--database", f"sqlite://{lite}"]) == 0
    code, job = jrun(capsys, "run", "dbs", "--json")
    assert code == 0, job
    _, (b,) = jrun(capsys, "backups", "--json")
    kinds = sorted((a["name"], a["meta"]["kind"]) for a in b["artifacts"] if a["kind"] ==
                   "database")
    assert [k for _, k in kinds] == ["postgresql", "mysql", "sqlite"]
    stored = Path(b["locations"][0]["path"])
    assert all(mariadb_server.password.encode() not in p.read_bytes()
               for p in stored.iterdir() if p.name == "manifest.json")
    # Dumps restore as files.
    out = tmp_path / "out"
    assert main(["restore", str(b["id"]), "--to", str(out)]) == 0
    names = sorted(p.name for p in (out / "databases").iterdir())
    assert names == sorted(n for n, _ in kinds)
    restored_lite = next((out / "databases").glob("*.sqlite3"))
    assert sqlite3.connect(restored_lite).execute("SELECT v FROM s").fetchall() == [("lite",)]
    # And load into fresh databases.
    pg_target = f"{pg_database}_into"
    pg_server.admin(f'CREATE DATABASE "{pg_target}"')
    my_target = f"{mariadb_database}_into"
    mariadb_server.sql(f"CREATE DATABASE `{my_target}`")
    try:
        assert main(["restore", str(b["id"]), "--into-database",
                     pg_server.url(pg_target, driver="postgresql")]) == 0
        with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                             dbname=pg_target) as c:
            assert c.execute("SELECT v FROM t ORDER BY id").fetchall() == [("pg one",),
                                                                            ("pg two",)]
        assert main(["restore", str(b["id"]), "--into-database",
                     mariadb_server.url(my_target, password=True)]) == 0
        assert mariadb_server.sql("SELECT id, v FROM m", my_target).split() == ["7", "seven"]
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{pg_target}" WITH (FORCE)')
        mariadb_server.sql(f"DROP DATABASE IF EXISTS `{my_target}`")


@pytest.mark.mysql
def test_wrong_password_fails_the_job_cleanly(home: Path, tmp_path: Path,
                                              mariadb_server: MariaDb, mariadb_database: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = mariadb_server.url(mariadb_database).replace("@", ":wrong@", 1)
    main(["plan", "add", "m", "--engine", "archive", "--dest", str(tmp_path / "d"),
          "--database", url])
    code, job = jrun(capsys, "run", "m", "--json")
    assert code == 1 and job["status"] == "failed"
    assert "Wrong user name or password" in job["error"]
    assert files_under(tmp_path / "d") == []


@pytest.mark.postgres
def test_unreachable_database_and_missing_tool(home: Path, tmp_path: Path, pg_server: Any,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("x")
    main(["plan", "add", "p", "--engine", "archive", "--source", str(src), "--dest",
          str(tmp_path / "d"), "--database", "postgresql://u@127.0.0.1:1/x"])
    code, job = jrun(capsys, "run", "p", "--json")
    assert code == 1 and "Cannot reach the database server" in job["error"]
    assert files_under(tmp_path / "d") == []
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, job = jrun(capsys, "run", "p", "--json")
    assert code == 1 and "pg_dump was not found" in job["error"]
    assert files_under(tmp_path / "d") == []
    assert os.path.isdir(tmp_path / "d")
