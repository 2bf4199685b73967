"""The agent's HTTP side: a small ASGI app served by uvicorn on one asyncio loop.

uvicorn brings the backlog, keep-alive timeouts and quiet handling of clients that hang up.
`protocol_class` adds what it lacks: a cap on open connections and a deadline for a connection
to send its request, so idle or dribbling clients cannot pile up.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ServeLimits:
    backlog: int = 2048
    max_connections: int = 4096
    # To send a whole request, from connecting or the last answer; an answer the client does not
    # read gets twice as long before the connection is dropped.
    request_timeout_s: float = 10.0
    keep_alive_s: int = 5


class AgentApp:
    """GET /status (or /) with the bearer token: `document()` as JSON; GET /metrics with the
    same token: `metrics()`, bytes of `metrics_type` (the Prometheus text format). Nothing
    else."""

    def __init__(self, token: str, document: Callable[[], dict[str, Any]],
                 metrics: Callable[[], bytes] | None = None, metrics_type: str = "") -> None:
        self._token = token.encode()
        self._document = document
        self._metrics, self._metrics_type = metrics, metrics_type.encode()
        self._flight: asyncio.Future[bytes] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "GET":
            await _send(send, 405, {"error": "The agent is read-only."}, [(b"allow", b"GET")])
            return
        if not self._authorised(scope):
            await _send(send, 401, {"error": "A valid bearer token is required."},
                        [(b"www-authenticate", b'Bearer realm="backupdesk"')])
            return
        path = str(scope["path"])
        if path == "/metrics" and self._metrics is not None:
            await self._scrape(send, self._metrics)
            return
        if path not in ("/status", "/"):
            await _send(send, 404, {"error": f"No such resource: {path[:100]}"})
            return
        try:
            body = await self._shared_document()
        except Exception as e:
            log.exception("agent status failed")
            await _send(send, 500, {"error": f"The agent cannot read its catalogue: {e}",
                                    "service": "rsync_backup"})
            return
        await _send_bytes(send, 200, body)

    async def _scrape(self, send: Send, metrics: Callable[[], bytes]) -> None:
        try:
            body = await asyncio.to_thread(metrics)
        except Exception as e:
            log.exception("agent metrics failed")
            await _send(send, 500, {"error": f"The agent cannot read its catalogue: {e}"})
            return
        await _send_bytes(send, 200, body, content_type=self._metrics_type)

    def _authorised(self, scope: Scope) -> bool:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = bytes(header).partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._token)

    async def _shared_document(self) -> bytes:
        """Requests that arrive while the catalogue is being read share that reading."""
        if self._flight is None:
            self._flight = asyncio.ensure_future(asyncio.to_thread(self._encoded))
            self._flight.add_done_callback(self._landed)
        return await asyncio.shield(self._flight)

    def _landed(self, _: asyncio.Future[bytes]) -> None:
        self._flight = None

    def _encoded(self) -> bytes:
        return json.dumps(self._document()).encode()


async def _send(send: Send, status: int, body: dict[str, Any],
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await _send_bytes(send, status, json.dumps(body).encode(), extra)


async def _send_bytes(send: Send, status: int, data: bytes,
                      extra: list[tuple[bytes, bytes]] | None = None, *,
                      content_type: bytes = b"application/json") -> None:
    headers = [(b"content-type", content_type),
               (b"content-length", str(len(data)).encode()),
               (b"cache-control", b"no-store"), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def protocol_class(limits: ServeLimits) -> type[H11Protocol]:
    class Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _stalled = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                log.warning("agent: more than %d open connections, closing a new one",
                            limits.max_connections)
                transport.close()
                return
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

        def _arm(self, stalled: bool = False) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._stalled = stalled
            self._deadline = self.loop.call_later(limits.request_timeout_s, self._expired)

        def _expired(self) -> None:
            self._deadline = None
            idle = self.cycle is None or self.cycle.response_complete
            if idle and not self.transport.get_write_buffer_size():
                self.transport.close()  # no request came
            elif self._stalled:  # a request or an answer the client does not take
                self.transport.abort()
            else:
                self._arm(stalled=True)

    return Protocol
