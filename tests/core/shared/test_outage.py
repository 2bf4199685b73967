"""Catalogue outages on a real PostgreSQL server of the test's own, stopped or SIGSTOPped (hung):
commands say "catalogue unreachable" in one line within the connect timeout, and a job whose
catalogue went away keeps its outcome on its host and records it once the server is back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.catalogue import open_catalogue
from core.catalogue.jobs import get_job, job_log
from tests.core.shared.workstations import REPO
from tests.fixtures.servers import _as_postgres, _pg_bin, free_port

pytestmark = pytest.mark.postgres


@dataclass
class OwnServer:
    """A PostgreSQL server that this test alone stops, starts and freezes."""

    data: Path
    port: int
    opts: str
    log: Path

    @property
    def url(self) -> str:
        user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl
        subprocess.run(_as_postgres([pg_ctl, "-D", str(self.data), *args]), check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        self._ctl("-o", self.opts, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    @property
    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self, on: bool) -> None:
        """SIGSTOP (a hung server) or SIGCONT the postmaster and its backends."""
        sig = signal.SIGSTOP if on else signal.SIGCONT
        pids = [self.pid] + [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(self.pid)], capture_output=True, text=True).stdout.split()]
        for p in pids:
            os.kill(p, sig)


@pytest.fixture
def own_pg() -> Iterator[OwnServer]:
    initdb = _pg_bin("initdb")
    assert initdb, "PostgreSQL server binaries not found"
    base = Path(tempfile.mkdtemp(prefix="backupdesk-pg-own-"))
    sock = base / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    subprocess.run(_as_postgres([initdb, "-D", str(base / "data"), "-U", user, "--auth=trust",
                                 "--no-sync", "-E", "UTF8"]), check=True, capture_output=True)
    port = free_port()
    server = OwnServer(base / "data", port,
                       f"-h 127.0.0.1 -p {port} -k {sock} -F -c fsync=off", base / "log.txt")
    server.start()
    try:
        yield server
    finally:
        try:
            server.freeze(False)
        except (OSError, ValueError):
            pass
        subprocess.run(_as_postgres([_pg_bin("pg_ctl") or "pg_ctl", "-D", str(server.data),
                                     "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _cli(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("BACKUPDESK_HOME", None)
    return subprocess.run([sys.executable, "-m", "core.cli.main", "--home", str(home),
                           "--catalogue", url, *args], env=env, text=True,
                          capture_output=True, timeout=120)


def _one_unreachable_line(p: subprocess.CompletedProcess[str]) -> None:
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backupdesk: catalogue unreachable: "), \
        p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr


@pytest.mark.parametrize("outage", ["stopped", "hung"])
def test_command_says_unreachable_in_one_line(own_pg: OwnServer, tmp_path: Path,
                                              outage: str) -> None:
    home = tmp_path / "home"
    assert _cli(home, own_pg.url, "history").returncode == 0  # catalogue made
    if outage == "stopped":
        own_pg.stop()
    else:
        own_pg.freeze(True)
    _one_unreachable_line(_cli(home, own_pg.url, "history", "--json"))
    _one_unreachable_line(_cli(home, own_pg.url, "plan", "list"))


def test_job_outcome_kept_during_outage_and_recorded_after(own_pg: OwnServer,
                                                           tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, own_pg.url, "history").returncode == 0
    started, go = tmp_path / "started", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO), "BACKUPDESK_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.core.shared.outage_job", own_pg.url,
                             str(started), str(go)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(1200):  # bounded wait for the job to start
            if started.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.05)
        assert started.exists(), proc.communicate(timeout=30)
        job_id = int(started.read_text())
        own_pg.stop()
        go.touch()
        _out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    kept = home / "state" / "pending-jobs" / f"{job_id}.json"
    assert kept.exists(), err
    assert json.loads(kept.read_text())["status"] == "success"
    own_pg.start()
    shown = _cli(home, own_pg.url, "history", "--json")
    assert shown.returncode == 0, shown.stderr
    row = next(r for r in json.loads(shown.stdout) if r["id"] == job_id)
    assert row["status"] == "success" and row["bytes"] == 1234
    assert not kept.exists()
    cat = open_catalogue(own_pg.url)
    try:
        job = get_job(cat, job_id)
        assert job is not None and job.lock_key is None and job.error is None
        assert job.details["note"] == "done while the catalogue was away"
        text = job_log(cat, job_id) or ""
        assert "Finished: success." in text and "Recorded late" in text
    finally:
        cat.dispose()
