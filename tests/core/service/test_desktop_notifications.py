"""Desktop notifications reach a real notification server: dunst on a private session bus
under Xvfb. The bus is watched with dbus-monitor; dunst says how many it got."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from core.cli.main import main
from core.config import AppConfig
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body
from tests.core.helpers import orm_session
from tests.fixtures.desktop import Desktop, desktop  # noqa: F401 (fixture)
from tests.fixtures.processes import end


@pytest.fixture
def farm() -> Iterator[DaemonFarm]:
    f = DaemonFarm().start()
    yield f
    f.stop()


def _service(desktop: Desktop, home: Path) -> subprocess.Popen[str]:  # noqa: F811
    env = {**desktop.env, "BACKUPDESK_HOME": str(home)}
    p = subprocess.Popen([sys.executable, "-m", "core", "service", "run"], env=env,
                         stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None and "running" in p.stderr.readline()
    return p


def _due_now(home: Path) -> None:
    from core.catalogue import open_catalogue
    from core.catalogue.schema import Schedule

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        with orm_session(cat) as s:
            s.execute(update(Schedule).values(
                next_due_at=datetime.utcnow() + timedelta(seconds=2)))
    finally:
        cat.dispose()


def test_a_failed_scheduled_backup_is_one_notification_whose_open_shows_the_job(
        desktop: Desktop, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    from gui.single_instance import server_name

    src, dest = tmp_path / "src", tmp_path / "d"
    src.mkdir()
    (src / "a.txt").write_text("a")
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(src),
                 "--dest", str(dest), "--schedule", "daily at 03:00"]) == 0
    shutil.rmtree(dest)  # plan add set it up (with its marker): now a file stands there
    dest.write_text("a file where the backups should go")
    _due_now(home)
    # stands in for the running window: the action's `backupdesk gui --job N` forwards to it
    monkeypatch.setenv("XDG_RUNTIME_DIR", desktop.env["XDG_RUNTIME_DIR"])
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(server_name(AppConfig.resolve(str(home))))
    listener.listen(1)
    listener.settimeout(60)
    proc = _service(desktop, home)
    try:
        log = desktop.wait_for('string "docs: backup failed"')
        assert "The scheduled backup of docs failed (job 1)" in log
        for word in ('string "default"', 'string "open"', 'string "retry"', 'string "Retry"'):
            assert word in log
        time.sleep(3)
        assert desktop.notify_calls().count("member=Notify") == 1
        assert desktop.count("displayed") == 1

        subprocess.run(["dunstctl", "action", "0"], env=desktop.env, check=True, timeout=10)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            assert conn.recv(100) == b"show job 1\n"
    finally:
        end(proc)
        listener.close()


def test_a_node_going_down_with_40_devices_is_one_notification(
        desktop: Desktop, home: Path, farm: DaemonFarm) -> None:  # noqa: F811
    m = farm.add(Behaviour(body=mysql_body(40)))
    r = farm.add(Behaviour(body=rsync_body(40)))
    assert main(["node", "add", "lab", "--mysql", m, "--rsync", r, "--interval", "5"]) == 0
    proc = _service(desktop, home)
    try:
        ports = [int(u.rsplit(":", 1)[1].split("/")[0]) for u in (m, r)]
        deadline = time.monotonic() + 60
        while not all(farm.requests[p] for p in ports) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # the first answers (all healthy: no notification) are on the board
        assert "member=Notify" not in desktop.notify_calls()
        for url in (m, r):
            farm.set(url, Behaviour(body={"detail": "maintenance"}, status=503))
        log = desktop.wait_for('string "40 devices on lab are offline"')
        assert "ETHOSCOPE_000, ETHOSCOPE_001" in log and "and 35 more" in log
        time.sleep(12)  # two more polls, still down: nothing new
        assert desktop.notify_calls().count("member=Notify") == 1
        assert desktop.shown() == 1
    finally:
        end(proc)


def test_the_service_claims_desktop_alerts_only_while_a_server_answers(
        desktop: Desktop, catalogue, home: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    from core.alerts import AlertSettings, Event
    from core.service import BackgroundService

    AlertSettings(desktop=True).save(AppConfig.resolve(str(home)).paths.ensure())
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    svc = BackgroundService(AppConfig.resolve(str(home)), catalogue)
    svc._tick(datetime.now())  # (at login: before the desktop's notification server)
    ev = Event("overdue-1-never", "overdue", "docs is overdue", "No backup yet.")
    assert svc.alerts.emit(ev) is False  # not claimed: the window may still show it

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    svc._probed_at -= 3600  # the next probe is due
    svc._tick(datetime.now())
    assert svc.alerts.emit(ev) is True
    desktop.wait_for('string "docs is overdue"')
    svc.stop()
