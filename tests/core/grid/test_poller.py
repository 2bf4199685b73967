from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from core.grid.adapters import Endpoint
from core.grid.cycle import merge_results
from core.grid.poller import EndpointResult, Limits, Poller
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, refusing_url, rsync_body

FAST = Limits(connect_s=1.0, read_s=0.6, total_s=1.5, max_bytes=64 * 1024)


def poll(eps: list[Endpoint], limits: Limits = FAST,
         order: list[str] | None = None) -> list[EndpointResult]:
    async def go() -> list[EndpointResult]:
        p = Poller(limits)
        try:
            return await p.poll(eps, (lambda r: order.append(r.endpoint.url)) if order is not None
                                else None)
        finally:
            await p.aclose()

    return asyncio.run(go())


def one(url: str, kind: str = "mysql", limits: Limits = FAST) -> EndpointResult:
    return poll([Endpoint("n", kind, url)], limits)[0]


def test_answers_in_both_formats(farm: DaemonFarm) -> None:
    m = farm.add(Behaviour(body=mysql_body(2)))
    r = farm.add(Behaviour(body=rsync_body(2)))
    a, b = poll([Endpoint("n", "mysql", m), Endpoint("n", "rsync", r)])
    assert a.ok and b.ok
    assert set(a.body) == {"dev0000abcdef", "dev0001abcdef"}
    assert b.body["disk_usage_summary"]["videos"]["total_files"] == 476102
    assert a.http_status == 200 and a.size > 0


def test_hanging_daemon_times_out_after_the_others_answered(farm: DaemonFarm) -> None:
    hang = farm.add(Behaviour("hang"))
    ok = farm.add(Behaviour(body=mysql_body(1)))
    order: list[str] = []
    res = poll([Endpoint("n", "mysql", hang), Endpoint("n", "rsync", ok)], order=order)
    assert order == [ok, hang]
    assert not res[0].ok and "went silent" in res[0].error
    assert res[1].ok


def test_slow_drip_is_cut_by_the_total_timeout(farm: DaemonFarm) -> None:
    r = one(farm.add(Behaviour("drip", drip_every_s=0.1)))
    assert not r.ok
    assert "did not finish answering within 1.5 s" in r.error


def test_refused_connection() -> None:
    r = one(refusing_url())
    assert not r.ok
    assert r.error.startswith("Cannot connect to 127.0.0.1:")
    assert r.error.endswith("connection refused.")


def test_oversized_answers_are_refused(farm: DaemonFarm) -> None:
    declared = one(farm.add(Behaviour("oversize", size=1024 * 1024)))
    streamed = one(farm.add(Behaviour("oversize", size=1024 * 1024, chunked=True)))
    for r in (declared, streamed):
        assert not r.ok
        assert "sent more than 64.0 KiB" in r.error


def test_malformed_answers(farm: DaemonFarm) -> None:
    truncated = one(farm.add(Behaviour("raw", raw=b'{"dev": {"name": "x", "prog')))
    html = one(farm.add(Behaviour("raw", raw=b"<html>oops</html>")))
    empty = one(farm.add(Behaviour("raw", raw=b"")))
    assert "malformed JSON" in truncated.error
    assert "malformed JSON" in html.error and "<html>" in html.error
    assert "empty body" in empty.error


def test_http_errors_and_broken_connections(farm: DaemonFarm) -> None:
    r500 = one(farm.add(Behaviour(body={"detail": "boom"}, status=500)))
    closed = one(farm.add(Behaviour("close")))
    assert r500.error.endswith("answered HTTP 500 Internal Server Error.")
    assert r500.http_status is None or r500.http_status == 500
    assert not closed.ok and "broke off" in closed.error


def test_error_body_with_http_200_reaches_the_merge_as_down(farm: DaemonFarm) -> None:
    from core.grid.adapters import Target

    m = farm.add(Behaviour(body={"error": "MySQL unreachable"}))
    r = farm.add(Behaviour(body=rsync_body(1)))
    eps = (Endpoint("n", "mysql", m), Endpoint("n", "rsync", r))
    res = poll(list(eps))
    merged = merge_results(Target("n", "n", eps), {x.endpoint.slot: x for x in res})
    assert not res[0].ok and res[0].error.endswith("reports: MySQL unreachable")
    assert merged["mysql_backup"] == {"error": "MySQL unreachable", "service": "mysql_backup"}
    assert merged["unified_devices"]["dev0000abcdef"]["overall_status"] == "partial"


def test_huge_integers_are_kept_exactly(farm: DaemonFarm) -> None:
    big = 2**64 + 3
    r = one(farm.add(Behaviour("raw", raw=b'{"d": {"count": %d}}' % big)))
    assert r.body["d"]["count"] == big


def test_agent_token_is_sent_and_unreadable_token_is_an_error(farm: DaemonFarm,
                                                              tmp_path: Path) -> None:
    url = farm.add(Behaviour(body=rsync_body(1)))
    tok = tmp_path / "token"
    tok.write_text("s3cret\n")
    r = poll([Endpoint("n", "agent", url, str(tok))])[0]
    assert r.ok
    port = int(url.split(":")[2].split("/")[0])
    assert farm.requests[port][-1]["authorization"] == "Bearer s3cret"
    missing = poll([Endpoint("n", "agent", url, str(tmp_path / "nope"))])[0]
    assert not missing.ok and "Cannot read the token file" in missing.error


def test_client_factory_is_used() -> None:
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(str(req.url))
        return httpx.Response(200, json={"x": {"name": "X"}})

    def factory(limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=timeout)

    async def go() -> Any:
        p = Poller(FAST, factory)
        try:
            return await p.fetch_bounded(Endpoint("n", "mysql", "http://lab:8090/status"))
        finally:
            await p.aclose()

    r = asyncio.run(go())
    assert r.ok and r.body == {"x": {"name": "X"}}
    assert seen == ["http://lab:8090/status"]


def test_hanging_daemons_do_not_hold_the_concurrency_slots(farm: DaemonFarm) -> None:
    hangs = farm.add_many([Behaviour("hang") for _ in range(4)])
    oks = farm.add_many([Behaviour(body=mysql_body(1)) for _ in range(6)])
    limits = Limits(connect_s=1, read_s=1.0, total_s=1.0, concurrency=2, per_client=2,
                    max_open=20, slow_after_s=0.05)
    order: list[str] = []
    poll([Endpoint("n", "mysql", u) for u in hangs + oks], limits, order)
    assert order[:6] == oks or set(order[:6]) == set(oks)
