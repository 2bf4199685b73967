"""A node whose daemons are all down shows the devices it last reported as offline, also after a
restart (issue 15, "Devices without opening the pane")."""

from __future__ import annotations

import json
import select
import time
from pathlib import Path
from typing import Any

from core.config import AppPaths
from core.grid.adapters import Endpoint, Target
from core.grid.batch import Batch
from core.grid.board import Board
from core.grid.memory import DeviceMemory, memory_path
from core.grid.poller import Limits
from core.grid.worker import WorkerProcess
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body
from tests.core.grid.test_board import update

DOWN = ("mysql_backup", "rsync_backup")


def test_devices_last_reported_come_back_offline_after_a_restart(tmp_path: Path) -> None:
    path = memory_path(AppPaths.resolve(tmp_path / "home"))
    first = Board(DeviceMemory(path))
    first.apply(update(mysql_body(2), rsync_body(3)))
    assert set(json.loads(path.read_text())["lab"]) == {f"dev000{i}abcdef" for i in range(3)}

    board = Board(DeviceMemory(path))  # the next start, both daemons down
    change = board.apply(update(down=DOWN))
    assert {d.key: d.state for d in change.changed} == {
        f"lab/dev000{i}abcdef": "offline" for i in range(3)}
    assert board.counts()["offline"] == 3
    assert board.devices["lab/dev0001abcdef"].name == "ETHOSCOPE_001"
    assert "refused" in board.devices["lab/dev0001abcdef"].reason
    assert [a.state for a in change.alerts] == ["offline"] * 3
    assert board.apply(update(down=DOWN)).changed == []  # once, not at every poll

    back = board.apply(update(mysql_body(1), rsync_body(1)))  # up again, with fewer devices
    assert board.devices["lab/dev0000abcdef"].state == "success"
    assert sorted(back.removed) == ["lab/dev0001abcdef", "lab/dev0002abcdef"]
    assert set(json.loads(path.read_text())["lab"]) == {"dev0000abcdef"}


def test_a_device_of_a_daemon_that_still_answers_is_not_recalled(tmp_path: Path) -> None:
    memory = DeviceMemory(tmp_path / "m.json")
    Board(memory).apply(update(mysql_body(1, prefix="m"), rsync_body(1, prefix="r")))
    board = Board(DeviceMemory(tmp_path / "m.json"))
    board.apply(update(down=("mysql_backup",), rsync=rsync_body(1, prefix="r")))
    assert set(board.devices) == {"lab/r0000abcdef"}  # m0000 was reported by mysql only


def test_removed_nodes_are_forgotten_and_a_bad_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    board = Board(DeviceMemory(path))
    board.apply(update(mysql_body(1), rsync_body(1)))
    board.keep_targets({"other"})
    assert json.loads(path.read_text()) == {}
    path.write_text("{not json")
    assert Board(DeviceMemory(path)).apply(update(down=DOWN)).changed == []


def poll_until(worker: WorkerProcess, want: dict[str, str]) -> tuple[dict[str, str], Any]:
    seen: dict[str, str] = {}
    counts: dict[str, int] = {}
    deadline = time.monotonic() + 20
    while (seen != want or not counts) and time.monotonic() < deadline:
        select.select([worker.fileno()], [], [], 1.0)
        for batch in worker.receive():
            assert isinstance(batch, Batch)
            seen.update({k: d.state for k, d in batch.changed.items()})
            if batch.final and batch.counts:
                counts = batch.counts
    return seen, counts


def test_worker_shows_a_down_node_offline_from_the_last_run(farm: DaemonFarm,
                                                            tmp_path: Path) -> None:
    m = farm.add(Behaviour(body=mysql_body(3)))
    r = farm.add(Behaviour(body=rsync_body(3)))
    target = Target("n", "n", (Endpoint("n", "mysql", m), Endpoint("n", "rsync", r)))
    path = memory_path(AppPaths.resolve(tmp_path / "home"))
    limits = Limits(connect_s=1, read_s=1, total_s=2)
    for states, behaviour in (("success", None), ("offline", Behaviour("close"))):
        if behaviour is not None:  # both daemons hang up without an answer
            farm.set(m, behaviour)
            farm.set(r, behaviour)
        worker = WorkerProcess(limits, memory=path)
        worker.start()
        try:
            worker.send("targets", [target])
            want = {f"n/dev000{i}abcdef": states for i in range(3)}
            seen, counts = poll_until(worker, want)
        finally:
            worker.stop()
        assert seen == want
        assert counts[states] == 3
