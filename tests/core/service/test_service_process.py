"""The background service as a real process: one per state folder, runs what is due, stops on
`service stop`; with a window process on the same catalogue, a due run starts once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.cli.main import main
from core.config import AppConfig
from core.service import running_pid
from tests.core.helpers import orm_session
from tests.fixtures.processes import end


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def _plan(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d"), "--schedule", "daily at 03:00"]) == 0


def _due_in(home: Path, seconds: float) -> None:
    """Move the stored due time (the claim both processes race for) to `seconds` from now."""
    from core.catalogue import open_catalogue
    from core.catalogue.schema import Schedule

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        with orm_session(cat) as s:
            s.execute(update(Schedule).values(
                next_due_at=datetime.utcnow() + timedelta(seconds=seconds)))
    finally:
        cat.dispose()


def _backups(home: Path) -> list[tuple[str, str]]:
    from core.catalogue import open_catalogue
    from core.catalogue.schema import Job

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        with orm_session(cat) as s:
            return [(j.status, j.trigger) for j in s.scalars(
                select(Job).where(Job.kind == "backup").order_by(Job.id))]
    finally:
        cat.dispose()


def _wait(cond, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def service(home: Path):  # type: ignore[no-untyped-def]
    paths = AppConfig.resolve(str(home)).paths
    procs: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        p = subprocess.Popen([sys.executable, "-m", "core", "service", "run"],
                             stderr=subprocess.PIPE, text=True)
        procs.append(p)
        assert "running" in (p.stderr.readline() if p.stderr else "")
        return p

    yield start
    for p in procs:
        end(p)
    assert running_pid(paths) is None


def test_one_service_per_state_folder_runs_what_is_due_and_stops(home, tmp_path, service):
    _plan(tmp_path)
    _due_in(home, 3)
    proc = service()
    paths = AppConfig.resolve(str(home)).paths
    assert running_pid(paths) == proc.pid
    second = _cli("service", "run")
    assert second.returncode == 0 and "already running" in second.stderr
    st = _cli("service", "status", "--json")
    assert st.returncode == 0
    assert json.loads(st.stdout) == {"running": True, "pid": proc.pid, "systemd": False,
                                     "scheduled_plans": 1}
    assert _wait(lambda: _backups(home) == [("success", "scheduled")], 120), _backups(home)

    stopped = _cli("service", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "Background service stopped."
    assert proc.wait(30) == 0
    st = _cli("service", "status")
    assert st.returncode == 3
    assert "stopped: 1 scheduled plan will not run" in st.stdout


def test_service_start_runs_it_detached_without_systemd(home, tmp_path):
    paths = AppConfig.resolve(str(home)).paths
    started = _cli("service", "start")
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip() == "Background service started as a background process."
        pid = running_pid(paths)
        assert pid is not None and pid > 0
        again = _cli("service", "start")
        assert again.stdout.strip() == "The background service is already running."
    finally:
        assert _cli("service", "stop").returncode == 0
    assert running_pid(paths) is None


def test_window_and_service_never_both_start_a_due_run(home, tmp_path, service):
    from gui.single_instance import server_name

    _plan(tmp_path)
    due_in = 25.0
    _due_in(home, due_in)
    t0 = time.monotonic()
    service()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    window = subprocess.Popen([sys.executable, "-m", "core", "gui"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        sock = server_name(AppConfig.resolve(str(home)))
        # the window's scheduler starts with its catalogue, right after the socket listens
        assert _wait(lambda: os.path.exists(sock), due_in - 8), "the window did not start"
        assert time.monotonic() - t0 < due_in - 5
        assert _wait(lambda: ("success", "scheduled") in _backups(home), 120)
        time.sleep(5)  # the loser would have started by now
        assert _backups(home) == [("success", "scheduled")]
        assert window.poll() is None, window.stderr.read() if window.stderr else ""
    finally:
        end(window)
