from __future__ import annotations

import select
import socket
import time

from core.grid import frames
from core.grid.adapters import Endpoint, Target
from core.grid.batch import Batch
from core.grid.poller import Limits
from core.grid.worker import WorkerProcess
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body


def test_frame_reader_waits_for_whole_messages() -> None:
    data = frames.encode({"a": [1, 2, 2**70]}) + frames.encode("second")
    r = frames.FrameReader()
    got = []
    for i in range(len(data)):  # one byte at a time
        r.feed(data[i:i + 1])
        ok, msg = r.next()
        if ok:
            got.append((i, msg))
    assert [m for _, m in got] == [{"a": [1, 2, 2**70]}, "second"]
    assert got[-1][0] == len(data) - 1
    assert r.next() == (False, None)


def test_blocking_send_and_receive() -> None:
    a, b = socket.socketpair()
    with a, b:
        frames.send(a, ("targets", [1, 2]))
        assert frames.receive(b) == ("targets", [1, 2])


def test_worker_process_polls_and_sends_batches(farm: DaemonFarm) -> None:
    m = farm.add(Behaviour(body=mysql_body(3)))
    r = farm.add(Behaviour(body=rsync_body(3, "error")))
    worker = WorkerProcess(Limits(connect_s=1, read_s=1, total_s=1))
    worker.start()
    try:
        worker.send("targets", [Target("n", "n", (Endpoint("n", "mysql", m),
                                                  Endpoint("n", "rsync", r)))])
        seen: dict[str, str] = {}
        alerts = 0
        deadline = time.monotonic() + 15
        while len(seen) < 3 and time.monotonic() < deadline:
            select.select([worker.fileno()], [], [], 1.0)
            for batch in worker.receive():
                assert isinstance(batch, Batch)
                seen.update({k: d.state for k, d in batch.changed.items()})
                alerts += len(batch.alerts)
        assert seen == {f"n/dev000{i}abcdef": "error" for i in range(3)}
        assert alerts == 3
        assert worker.alive
    finally:
        worker.stop()
    assert not worker.alive
