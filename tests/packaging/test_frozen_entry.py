"""The device grid's poller process started the way a frozen bundle starts it:
`[sys.executable, "--grid-worker", fd, limits]`."""

from __future__ import annotations

import select
import sys
import time
from pathlib import Path

import pytest

from core.grid.adapters import Endpoint, Target
from core.grid.poller import Limits
from core.grid.worker import WorkerProcess
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body


@pytest.fixture
def farm():
    f = DaemonFarm().start()
    yield f
    f.stop()


def poll_with(farm: DaemonFarm) -> dict[str, str]:
    m = farm.add(Behaviour(body=mysql_body(2)))
    r = farm.add(Behaviour(body=rsync_body(2, "error")))
    worker = WorkerProcess(Limits(connect_s=1, read_s=1, total_s=1))
    worker.start()
    seen: dict[str, str] = {}
    try:
        worker.send("targets", [Target("n", "n", (Endpoint("n", "mysql", m),
                                                  Endpoint("n", "rsync", r)))])
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline:
            select.select([worker.fileno()], [], [], 1.0)
            for batch in worker.receive():
                seen.update({k: d.state for k, d in batch.changed.items()})
    finally:
        worker.stop()
    return seen


def test_grid_worker_entry_of_the_cli(farm, tmp_path: Path, monkeypatch) -> None:
    # Stand-in for the frozen executable: the backupdesk CLI under this interpreter.
    exe = tmp_path / "backupdesk"
    root = Path(__file__).resolve().parents[2]
    exe.write_text(f'#!/bin/sh\ncd "{root}" && exec "{sys.executable}" -m core "$@"\n')
    exe.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    assert poll_with(farm) == {f"n/dev000{i}abcdef": "error" for i in range(2)}


def test_grid_worker_in_the_bundle(farm, bundle: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    assert poll_with(farm) == {f"n/dev000{i}abcdef": "error" for i in range(2)}
