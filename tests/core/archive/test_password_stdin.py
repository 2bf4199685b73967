"""`--database-password-stdin` on `plan add` and `restore --into-database`, against a real
MariaDB that checks the password (issue 14): the password reaches the dump and the load, and
stands in no file but the 0600 secret store, and never on a command line."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import stat
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from core.cli.main import main
from tests.core.archive.conftest import MariaDb


def files_with(root: Path, password: str) -> list[str]:
    """Files holding the password: as it is, URL-quoted or JSON-escaped."""
    forms = {password.encode(), quote(password, safe="").encode(),
             json.dumps(password)[1:-1].encode()}
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and any(f in p.read_bytes() for f in forms))


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


@pytest.mark.mysql
def test_password_from_stdin_reaches_the_dump_and_the_load(
        home: Path, tmp_path: Path, mariadb_server: MariaDb, mariadb_database: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    mariadb_server.sql("CREATE TABLE m (id INT PRIMARY KEY, v TEXT); "
                       "INSERT INTO m VALUES (7, 'seven');", mariadb_database)
    stdin(monkeypatch, mariadb_server.password + "\n")
    assert main(["plan", "add", "m", "--engine", "archive", "--include", "databases",
                 "--dest", str(tmp_path / "d"), "--database", mariadb_server.url(mariadb_database),
                 "--database-password-stdin"]) == 0
    capsys.readouterr()
    assert main(["run", "m", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["status"] == "success", job
    main(["backups", "--json"])
    (backup,) = json.loads(capsys.readouterr().out)
    target = f"{mariadb_database}_into"
    mariadb_server.sql(f"CREATE DATABASE `{target}`")
    try:
        stdin(monkeypatch, mariadb_server.password + "\n")
        assert main(["restore", str(backup["id"]), "--into-database",
                     mariadb_server.url(target), "--database-password-stdin"]) == 0
        assert mariadb_server.sql("SELECT id, v FROM m", target).split() == ["7", "seven"]
    finally:
        mariadb_server.sql(f"DROP DATABASE IF EXISTS `{target}`")
    secret = mariadb_server.password
    assert files_with(home, secret) == ["config/secrets.json"]
    assert stat.S_IMODE((home / "config/secrets.json").stat().st_mode) == 0o600
    assert (home / "logs" / "backupdesk.log").exists()
    assert files_with(tmp_path / "d", secret) == []


@pytest.mark.mysql
def test_password_prompt_on_a_terminal(home: Path, tmp_path: Path, mariadb_server: MariaDb,
                                       mariadb_database: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    argv = [sys.executable, "-m", "core", "--home", str(home), "plan", "add", "m", "--engine",
            "archive", "--include", "databases", "--dest", str(tmp_path / "d"),
            "--database", mariadb_server.url(mariadb_database), "--database-password-stdin"]
    pid, fd = pty.fork()
    if pid == 0:  # the child, on the terminal
        os.execve(argv[0], argv, dict(os.environ, BACKUPDESK_HOME=str(home)))
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child ended
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"Password for the MySQL/MariaDB database" in seen:
            os.write(fd, mariadb_server.password.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert answered, seen
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert mariadb_server.password.encode() not in seen  # not echoed
    assert main(["run", "m", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "success"


@pytest.mark.parametrize(("argv", "text", "words"), [
    (["--database", "mysql://u@127.0.0.1:1/x"], "", "No password for the MySQL/MariaDB"),
    (["--database", "mysql://u:pw@127.0.0.1:1/x"], "pw\n", "URL without a password"),
    (["--database", "sqlite:///tmp/x.db"], "pw\n", "needs a postgresql:// or mysql://"),
])
def test_password_stdin_mistakes_are_one_line(home: Path, tmp_path: Path, argv: list[str],
                                              text: str, words: str,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, text)
    code = main(["plan", "add", "m", "--engine", "archive", "--dest", str(tmp_path / "d"),
                 *argv, "--database-password-stdin"])
    err = capsys.readouterr().err
    assert code != 0 and words in err and len(err.splitlines()) == 1
    assert main(["plan", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_restore_password_stdin_needs_into_database(home: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["restore", "1", "--to", "/tmp/nowhere", "--database-password-stdin"]) == 2
    assert "--database-password-stdin goes with --into-database" in capsys.readouterr().err
