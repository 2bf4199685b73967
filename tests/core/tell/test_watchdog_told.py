"""The scheduler tells the watchdog's late/missing states to a plan's targets (a real receiver on
127.0.0.1), once per episode however often it wakes; the clock is a controllable one."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from core.config import AppPaths
from core.plans import add_plan
from core.scheduling.runtime import SchedulerService
from core.secrets import SecretStore
from core.tell import uninstall
from core.timeutil import utcnow
from tests.core.scheduling.clock import ManualClock


def test_a_plan_that_did_not_run_is_told_once_per_episode(catalogue, home: Path,
                                                          tmp_path: Path, receiver,
                                                          monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    paths = AppPaths.resolve(str(home))
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello")
    host = receiver.url.removeprefix("http://")
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")],
             options={"expect": "daily", "notify": [f"json://{host}/hook"]},
             secrets=SecretStore(paths))
    clock = ManualClock(utcnow() + timedelta(days=1, hours=2))
    service = SchedulerService(catalogue, paths, clock=clock)
    try:
        service.scheduler.tick()
        service.scheduler.tick()
        clock.t += timedelta(minutes=10)
        service.scheduler.tick()
    finally:
        uninstall()
    told = [json.loads(b) for p, b in receiver.got if p == "/hook"]
    assert len(told) == 1, told
    assert told[0]["title"].startswith("docs: backup ")
    assert "docs" in told[0]["message"]
