"""Fetch daemons' status JSON concurrently with httpx, each request bounded in time and size.

One httpx.AsyncClient's pool slows down with the square of its connections, so requests are
spread over several small clients. A request still open after `slow_after_s` gives its slot in
the concurrency limit to the next one (while staying within `max_open`), so hanging daemons
never hold back the answering ones.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

from core.errors import BackupDeskError
from core.fmt import human_bytes
from core.grid.adapters import Endpoint
from core.grid.merge import RSYNC, is_error_body
from core.grid.parse import parse

ClientFactory = Callable[[httpx.Limits, httpx.Timeout], httpx.AsyncClient]


@dataclass(frozen=True)
class Limits:
    connect_s: float = 3.0
    read_s: float = 5.0
    total_s: float = 10.0
    max_bytes: int = 8 * 1024 * 1024
    concurrency: int = 200
    max_open: int = 1000
    per_client: int = 10
    slow_after_s: float = 0.2


@dataclass(frozen=True)
class EndpointResult:
    endpoint: Endpoint
    ok: bool
    body: Any = None
    error: str = ""
    http_status: int | None = None
    size: int = 0
    elapsed_s: float = 0.0
    at: float = 0.0  # wall clock, seconds since the epoch

    def slot_value(self) -> Any:
        """What the merge gets for this daemon: its body, or `{error, service}` (a daemon's own
        error answer keeps its message)."""
        if self.ok:
            return self.body
        if is_error_body(self.body):
            return {"service": self.endpoint.slot, **self.body}
        return {"error": self.error, "service": self.endpoint.slot}


class FetchError(BackupDeskError):
    pass


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~10 ms: once per process, not once per client.
    return ssl.create_default_context(cafile=certifi.where())


def default_client(limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=limits, timeout=timeout, follow_redirects=False,
                             trust_env=False, verify=_ssl_context())


def _where(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def parse_json(data: bytes, url: str, slot: str = RSYNC) -> Any:
    """The body, parsed and cleaned once (core.grid.parse); FetchError if it is not JSON."""
    try:
        return parse(data, "devices" if slot == RSYNC else None)
    except (ValueError, RecursionError) as e:
        head = data[:60].decode("utf-8", "replace").replace("\n", " ")
        if not data.strip():
            raise FetchError(f"{_where(url)} answered with an empty body.") from e
        raise FetchError(f"{_where(url)} answered malformed JSON ({e.__class__.__name__} near "
                         f"{head!r}).") from e


class Poller:
    """Use from one asyncio loop; `aclose()` when done."""

    def __init__(self, limits: Limits | None = None,
                 client_factory: ClientFactory | None = None) -> None:
        self.limits = limits or Limits()
        self._factory = client_factory or default_client
        if client_factory is None:
            _ssl_context()
        self._clients: list[httpx.AsyncClient] = []
        self._in_flight: list[int] = []
        self._fast: asyncio.Semaphore | None = None
        self._open: asyncio.Semaphore | None = None

    def _timeout(self) -> httpx.Timeout:
        lim = self.limits
        return httpx.Timeout(connect=lim.connect_s, read=lim.read_s, write=lim.read_s,
                             pool=lim.total_s)

    def _pick_client(self) -> int:
        per = self.limits.per_client
        if self._in_flight:
            i = min(range(len(self._in_flight)), key=self._in_flight.__getitem__)
            if self._in_flight[i] < per:
                return i
        max_clients = max(1, -(-self.limits.max_open // per))
        if len(self._clients) < max_clients:
            limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
            self._clients.append(self._factory(limits, self._timeout()))
            self._in_flight.append(0)
            return len(self._clients) - 1
        return min(range(len(self._in_flight)), key=self._in_flight.__getitem__)

    async def fetch(self, ep: Endpoint) -> EndpointResult:
        """One request, never raising for the daemon's faults."""
        t0 = time.monotonic()
        status: int | None = None
        size = 0
        i = self._pick_client()
        self._in_flight[i] += 1
        try:
            async with asyncio.timeout(self.limits.total_s):
                status, body, size = await self._get(self._clients[i], ep)
        except TimeoutError:
            err = f"{_where(ep.url)} did not finish answering within {self.limits.total_s:g} s."
        except BackupDeskError as e:
            err = str(e)
        except httpx.ConnectTimeout:
            err = f"No connection to {_where(ep.url)} within {self.limits.connect_s:g} s."
        except httpx.ReadTimeout:
            err = f"{_where(ep.url)} went silent for {self.limits.read_s:g} s."
        except httpx.PoolTimeout:
            err = f"Too many open requests to reach {_where(ep.url)} in time."
        except httpx.ConnectError as e:
            err = f"Cannot connect to {_where(ep.url)}: {_reason(e)}."
        except httpx.RemoteProtocolError as e:
            err = f"{_where(ep.url)} broke off its answer: {_reason(e)}."
        except httpx.HTTPError as e:
            err = f"Request to {_where(ep.url)} failed: {_reason(e)}."
        except OSError as e:
            err = f"Cannot reach {_where(ep.url)}: {e.strerror or e}."
        else:
            if is_error_body(body):
                return EndpointResult(ep, False, body, f"{_where(ep.url)} reports: "
                                      f"{str(body['error'])[:300]}", status, size,
                                      time.monotonic() - t0, time.time())
            return EndpointResult(ep, True, body, "", status, size, time.monotonic() - t0,
                                  time.time())
        finally:
            self._in_flight[i] -= 1
        return EndpointResult(ep, False, None, err, status, size, time.monotonic() - t0,
                              time.time())

    async def _get(self, client: httpx.AsyncClient, ep: Endpoint) -> tuple[int, Any, int]:
        cap = self.limits.max_bytes
        too_big = (f"{_where(ep.url)} sent more than {human_bytes(cap)}; "
                   "larger answers are refused.")
        async with client.stream("GET", ep.url, headers=ep.headers()) as resp:
            if resp.status_code >= 400:
                hint = " (check the token)" if resp.status_code in (401, 403) else ""
                raise FetchError(f"{_where(ep.url)} answered HTTP {resp.status_code} "
                                 f"{resp.reason_phrase}{hint}.")
            if resp.status_code != 200:
                raise FetchError(f"{_where(ep.url)} answered HTTP {resp.status_code} "
                                 f"{resp.reason_phrase}, not 200.")
            length = resp.headers.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                raise FetchError(too_big)
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FetchError(too_big)
                chunks.append(chunk)
        data = b"".join(chunks)
        return resp.status_code, parse_json(data, ep.url, ep.slot), size

    def _semaphores(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        if self._fast is None or self._open is None:
            self._fast = asyncio.Semaphore(self.limits.concurrency)
            self._open = asyncio.Semaphore(self.limits.max_open)
        return self._fast, self._open

    async def fetch_bounded(self, ep: Endpoint) -> EndpointResult:
        fast, open_ = self._semaphores()
        async with open_:
            await fast.acquire()
            released = False

            def release() -> None:
                nonlocal released
                if not released:
                    released = True
                    fast.release()

            timer = asyncio.get_running_loop().call_later(self.limits.slow_after_s, release)
            try:
                return await self.fetch(ep)
            finally:
                timer.cancel()
                release()

    async def poll(self, endpoints: Iterable[Endpoint],
                   on_result: Callable[[EndpointResult], None] | None = None
                   ) -> list[EndpointResult]:
        """Fetch all within `total_s` from now, however long some waited for a slot;
        `on_result` is called as each one ends, in completion order."""
        deadline = asyncio.get_running_loop().time() + self.limits.total_s

        async def one(ep: Endpoint) -> EndpointResult:
            t0 = time.monotonic()
            try:
                async with asyncio.timeout_at(deadline):
                    r = await self.fetch_bounded(ep)
            except TimeoutError:
                r = EndpointResult(ep, False, None, f"{_where(ep.url)} did not finish answering "
                                   f"within {self.limits.total_s:g} s.", None, 0,
                                   time.monotonic() - t0, time.time())
            if on_result is not None:
                on_result(r)
            return r

        return list(await asyncio.gather(*(one(ep) for ep in endpoints)))

    async def aclose(self) -> None:
        clients, self._clients, self._in_flight = self._clients, [], []
        for c in clients:
            await c.aclose()


def _reason(e: BaseException) -> str:
    cause: BaseException | None = e
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(cause):
            return "connection refused"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    return str(e).strip().rstrip(".") or type(e).__name__
