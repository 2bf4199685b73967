"""Fixtures of the archive engine tests: odd trees, tree snapshots, a real MariaDB server."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.servers import free_port

MARIADB_PASSWORD = "s3cret 'quoted\" pass"


def make_tree(root: Path) -> Path:
    """Files, an empty folder, symlinks, modes, odd names, fixed mtimes."""
    src = root / "My Files"
    (src / "empty dir").mkdir(parents=True)
    (src / "docs" / "deep" / "er").mkdir(parents=True)
    (src / "docs" / "naïve café.txt").write_text("accents ✓\n", encoding="utf-8")
    (src / "docs" / "deep" / "er" / "x.bin").write_bytes(os.urandom(70_000))
    (src / "big.bin").write_bytes(os.urandom(9 << 20))  # above the small-file path
    (src / "empty.txt").write_bytes(b"")
    (src / ("long-" + "n" * 150 + ".txt")).write_text("long name\n")
    script = src / "run me.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o750)
    (src / "docs" / "private").write_text("secret\n")
    (src / "docs" / "private").chmod(0o600)
    (src / "link to café").symlink_to("docs/naïve café.txt")
    (src / "dangling").symlink_to("nowhere/at all")
    (src / "skip.tmp").write_text("excluded\n")
    for i, p in enumerate(sorted(src.rglob("*"), reverse=True)):
        os.utime(p, ns=(1_600_000_000_123_456_789 + i, 1_600_000_000_123_456_789 + i),
                 follow_symlinks=False)
    return src


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[object, ...]]:
    """Everything a byte-identical restore must reproduce, by relative path."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            st = p.lstat()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p), st.st_mtime_ns)
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode, st.st_mtime_ns)
            else:
                out[rel] = ("file", st.st_mode, st.st_mtime_ns, p.read_bytes())
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "data")


@dataclass(frozen=True)
class MariaDb:
    host: str
    port: int
    socket: str
    user: str
    password: str

    def url(self, db: str, password: bool = False) -> str:
        from urllib.parse import quote

        pw = f":{quote(self.password, safe='')}" if password else ""
        return f"mysql://{self.user}{pw}@{self.host}:{self.port}/{db}"

    def sql(self, sql: str, db: str = "") -> str:
        out = subprocess.run(["mariadb", f"--socket={self.socket}", "-uroot", "--batch",
                              "--skip-column-names", "-e", sql, *([db] if db else [])],
                             check=True, capture_output=True, text=True)
        return out.stdout


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDb]:
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    if not Path(mariadbd).exists() or not shutil.which("mariadb-install-db"):
        pytest.fail("MariaDB server binaries not found: install Debian's mariadb-server")
    base = Path(tempfile.mkdtemp(prefix="backupdesk-mariadb-"))
    data, sock = base / "data", base / "mysqld.sock"
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(["mariadb-install-db", f"--datadir={data}", *user,
                    "--auth-root-authentication-method=socket", "--skip-test-db"],
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
         "--bind-address=127.0.0.1", f"--pid-file={base / 'pid'}", *user,
         "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
         f"--log-error={base / 'error.log'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (base / "error.log").read_text(errors="replace")
                pytest.fail(f"MariaDB did not start:\n{log[-2000:]}")
            time.sleep(0.1)
        server = MariaDb("127.0.0.1", port, str(sock), "bduser", MARIADB_PASSWORD)
        esc = MARIADB_PASSWORD.replace("\\", "\\\\").replace("'", "\\'")
        server.sql(f"CREATE USER 'bduser'@'%' IDENTIFIED BY '{esc}'; "
                   "GRANT ALL ON *.* TO 'bduser'@'%'; FLUSH PRIVILEGES;")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


_counter = 0


@pytest.fixture
def mariadb_database(mariadb_server: MariaDb) -> Iterator[str]:
    global _counter
    _counter += 1
    name = f"t_{os.getpid()}_{_counter}"
    mariadb_server.sql(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        mariadb_server.sql(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch a real OS keyring from the tests."""
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")


REQUIRE_FASTPACK = os.environ.get("BACKUPDESK_REQUIRE_FASTPACK") == "1"


@pytest.fixture(params=["c", "python"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The archive writer's per-file loop: the C extension (_fastpack), or the pure-Python
    fallback used when it is not built. Without the extension the "c" cases skip, unless
    BACKUPDESK_REQUIRE_FASTPACK=1 (tests/run.sh) makes them fail."""
    from core.engines.archive import create, scan

    if request.param == "python":
        monkeypatch.setattr(create, "_fastpack", None)
        monkeypatch.setattr(scan, "_folder", None)
    elif create._fastpack is None:
        if REQUIRE_FASTPACK:
            pytest.fail("core.engines.archive._fastpack is not built, and "
                        "BACKUPDESK_REQUIRE_FASTPACK=1 says it must be")
        pytest.skip("core.engines.archive._fastpack is not built")
    return str(request.param)
