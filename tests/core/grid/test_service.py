from __future__ import annotations

import queue

from core.grid.adapters import Endpoint, Target
from core.grid.backoff import Backoff
from core.grid.cycle import TargetUpdate
from core.grid.poller import Limits
from core.grid.service import GridService
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, refusing_url, rsync_body

LIMITS = Limits(connect_s=1, read_s=1, total_s=1)


def final(q: queue.Queue[TargetUpdate], name: str) -> TargetUpdate:
    while True:
        u = q.get(timeout=10)
        if u.target.name == name and u.complete:
            return u


def test_service_polls_targets_and_reports_each_answer(farm: DaemonFarm) -> None:
    m = farm.add(Behaviour(body=mysql_body(2)))
    r = farm.add(Behaviour(body=rsync_body(2)))
    hang = farm.add(Behaviour("hang"))
    q: queue.Queue[TargetUpdate] = queue.Queue()
    svc = GridService(q.put, limits=LIMITS)
    svc.start()
    try:
        svc.set_targets([
            Target("a", "a", (Endpoint("a", "mysql", m), Endpoint("a", "rsync", r))),
            Target("b", "b", (Endpoint("b", "mysql", hang), Endpoint("b", "rsync", r))),
        ])
        a = final(q, "a")
        assert set(a.merged["unified_devices"]) == {"dev0000abcdef", "dev0001abcdef"}
        b = final(q, "b")
        assert b.down() == ["mysql_backup"] and b.answered() == ["rsync_backup"]
    finally:
        svc.stop()
    assert not svc.running


def test_unreachable_endpoint_backs_off_until_poll_now() -> None:
    url = refusing_url()
    q: queue.Queue[TargetUpdate] = queue.Queue()
    backoff = Backoff()
    svc = GridService(q.put, limits=LIMITS, backoff=backoff)
    target = Target("x", "x", (Endpoint("x", "mysql", url),), interval_s=5.0)
    key = f"x|mysql|{url}"
    svc.start()
    try:
        svc.set_targets([target])
        assert "connection refused" in final(q, "x").results["mysql_backup"].error
        svc.poll_now()
        final(q, "x")
        assert backoff.failures(key) == 2
        svc.set_targets([target])  # due again, but backing off: answered from memory
        skipped = final(q, "x")
        assert "Next try in" in skipped.results["mysql_backup"].error
        assert backoff.failures(key) == 2
    finally:
        svc.stop()


def test_backoff_schedule() -> None:
    b = Backoff(max_s=100)
    b.record("k", False, 0, 10)
    assert b.due("k", 0)  # one failure: the regular interval
    b.record("k", False, 0, 10)
    assert not b.due("k", 19) and b.due("k", 20)
    for _ in range(10):
        b.record("k", False, 0, 10)
    assert b.next_at("k") == 100
    b.record("k", True, 0, 10)
    assert b.due("k", 0) and b.failures("k") == 0
