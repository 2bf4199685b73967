"""`backupdesk catalogue backup` and the copy after each run: a consistent SQLite snapshot while
another process writes, pg_dump of a PostgreSQL catalogue, encrypted for an encrypted plan,
rotated, and never written beneath an unplugged destination."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.catalogue_backup import FOLDER, KEEP, copies
from core.cli.main import main
from tests.core.archive.test_cli import jrun

WRITER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
c.execute("CREATE TABLE IF NOT EXISTS churn (i INTEGER, pad TEXT)")
print("ready", flush=True)
i = 0
end = time.monotonic() + 60
while time.monotonic() < end:
    c.execute("BEGIN IMMEDIATE")
    c.executemany("INSERT INTO churn VALUES (?, ?)", [(i + k, "x" * 500) for k in range(200)])
    c.execute("COMMIT")
    i += 200
"""



def small_plan(tmp_path: Path, name: str, *dests: Path, extra: tuple[str, ...] = ()) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    args = ["plan", "add", name, "--engine", "archive", "--source", str(src)]
    for d in dests:
        args += ["--dest", str(d)]
    assert main([*args, *extra]) == 0


def check_snapshot(path: Path) -> sqlite3.Connection:
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return c


def test_sqlite_snapshot_while_another_process_writes(home: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    small_plan(tmp_path, "docs", tmp_path / "d")
    writer = subprocess.Popen([sys.executable, "-c", WRITER,
                               str(home / "data" / "catalogue.sqlite3")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        out = tmp_path / "copies"
        seen = []
        for _ in range(4):
            code, printed = jrun(capsys, "catalogue", "backup", "--to", str(out), "--keep", "3")
            assert code == 0
            path = Path(printed.strip())
            assert path.parent == out and oct(path.stat().st_mode & 0o777) == "0o600"
            c = check_snapshot(path)
            assert c.execute("SELECT name FROM plans").fetchall() == [("docs",)]
            n = c.execute("SELECT count(*) FROM churn").fetchone()[0]
            assert n % 200 == 0  # whole transactions only
            seen.append(n)
            time.sleep(0.2)
        assert writer.poll() is None  # it wrote all along
        assert seen[-1] > seen[0]
    finally:
        writer.kill()
        writer.wait()
    assert len(copies(out)) == 3  # rotated
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_copy_after_each_run_encrypted_and_rotated(home: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import pyrage

    dest = tmp_path / "d"
    small_plan(tmp_path, "vault", dest, tmp_path / "d2", extra=("--encrypt",))
    _, key = jrun(capsys, "key", "export", "vault")
    for _ in range(KEEP + 1):
        assert main(["run", "vault"]) == 0
    held = copies(dest / FOLDER)
    assert len(held) == KEEP  # the oldest went
    assert not (tmp_path / "d2" / FOLDER).exists()  # the first destination only
    newest = held[-1]
    assert newest.name.endswith(".sqlite3.age")
    ident = pyrage.x25519.Identity.from_str(key.splitlines()[-1])
    plain = tmp_path / "catalogue.sqlite3"
    plain.write_bytes(pyrage.decrypt(newest.read_bytes(), [ident]))
    c = check_snapshot(plain)
    assert c.execute("SELECT count(*) FROM backups").fetchone()[0] == KEEP + 1
    # The catalogue copy is no backup of the plan: import looks past it.
    code, rep = jrun(capsys, "import", str(dest), "--json")
    assert code == 0 and rep["known"] == KEEP + 1 and rep["problems"] == []


def test_no_copy_beneath_an_unplugged_destination(home: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "usb"
    small_plan(tmp_path, "docs", dest, tmp_path / "nas")
    (dest / ".backupdesk-destination").unlink()
    os.rmdir(dest)  # unplugged: the mount point's folder is gone
    assert main(["run", "docs"]) == 3  # partial: the other destination has it
    assert not dest.exists()
    code = main(["catalogue", "backup"])
    assert code == 3 and "not mounted" in capsys.readouterr().err


@pytest.mark.postgres
def test_postgresql_catalogue_is_dumped(tmp_path: Path, pg_server: Any, pg_catalogue_url: str,
                                        pg_database: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BACKUPDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BACKUPDESK_CATALOGUE", pg_catalogue_url)
    dest = tmp_path / "d"
    small_plan(tmp_path, "docs", dest)
    assert main(["run", "docs"]) == 0
    (after_run,) = copies(dest / FOLDER)
    assert after_run.name.endswith(".pgdump")
    code, printed = jrun(capsys, "catalogue", "backup", "--to", str(tmp_path / "c"))
    assert code == 0
    dump = Path(printed.strip())
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    target = f"{pg_database}_restored"
    pg_server.admin(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "-h", pg_server.host, "-p",
                        str(pg_server.port), "-U", pg_server.user, "-d", target, str(dump)],
                       check=True, capture_output=True)
        import psycopg

        with psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                             dbname=target) as c:
            assert c.execute("SELECT name FROM plans").fetchall() == [("docs",)]
            assert c.execute("SELECT count(*) FROM backups").fetchone() == (1,)
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
