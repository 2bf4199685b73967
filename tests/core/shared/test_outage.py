"""Catalogue outages on a real PostgreSQL server of the test's own, stopped or SIGSTOPped (hung):
commands say "catalogue unreachable" in one line within the connect timeout, and a job whose
catalogue went away keeps its outcome on its host and records it once the server is back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.catalogue import open_catalogue
from core.catalogue.jobs import get_job, job_log
from tests.core.shared.workstations import REPO
from tests.fixtures.servers import PgCluster

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_pg() -> Iterator[PgCluster]:
    """A PostgreSQL server that this test alone stops, starts and freezes."""
    cluster = PgCluster.create("backupdesk-pg-own-")
    try:
        yield cluster
    finally:
        cluster.remove()


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
def test_command_says_unreachable_in_one_line(own_pg: PgCluster, tmp_path: Path,
                                              outage: str) -> None:
    home = tmp_path / "home"
    assert _cli(home, own_pg.url(), "history").returncode == 0  # catalogue made
    if outage == "stopped":
        own_pg.stop()
    else:
        own_pg.freeze(True)
    _one_unreachable_line(_cli(home, own_pg.url(), "history", "--json"))
    _one_unreachable_line(_cli(home, own_pg.url(), "plan", "list"))


def test_job_outcome_kept_during_outage_and_recorded_after(own_pg: PgCluster,
                                                           tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, own_pg.url(), "history").returncode == 0
    started, go = tmp_path / "started", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO), "BACKUPDESK_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.core.shared.outage_job", own_pg.url(),
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
    shown = _cli(home, own_pg.url(), "history", "--json")
    assert shown.returncode == 0, shown.stderr
    row = next(r for r in json.loads(shown.stdout) if r["id"] == job_id)
    assert row["status"] == "success" and row["bytes"] == 1234
    assert not kept.exists()
    cat = open_catalogue(own_pg.url())
    try:
        job = get_job(cat, job_id)
        assert job is not None and job.lock_key is None and job.error is None
        assert job.details["note"] == "done while the catalogue was away"
        text = job_log(cat, job_id) or ""
        assert "Finished: success." in text and "Recorded late" in text
    finally:
        cat.dispose()
