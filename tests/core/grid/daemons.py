"""Fake backup daemons: real HTTP/1.1 servers on 127.0.0.1, one port each, that answer in the
MySQL or rsync daemon's format or misbehave (hang, drip, refuse, oversize, garbage).

Run as a module to serve many of them from a separate process (the benchmark does):
    python -m tests.core.grid.daemons --nodes 500 --hang 0.1
prints one JSON line of URLs, then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Behaviour:
    mode: str = "json"  # json, raw, hang, drip, close, oversize
    body: Any = None
    raw: bytes = b""
    status: int = 200
    drip_every_s: float = 0.2
    size: int = 0
    chunked: bool = False


def mysql_body(n: int = 3, status: str = "success", prefix: str = "dev") -> dict[str, Any]:
    return {f"{prefix}{i:04d}abcdef": {
        "name": f"ETHOSCOPE_{i:03d}", "status": "stopped",
        "progress": {"status": status, "message": f"MySQL backup {status}"},
        "synced": {}, "processing": False, "count": 1,
        "started": 1752137404, "ended": 1752137404} for i in range(n)}


def rsync_body(n: int = 3, status: str = "success", prefix: str = "dev") -> dict[str, Any]:
    return {"devices": {f"{prefix}{i:04d}abcdef": {
        "name": f"ETHOSCOPE_{i:03d}", "status": "stopped",
        "progress": {"status": status, "message": f"rsync backup {status}"},
        "synced": {"results": {"local_files": 766, "directory": "/ethoscope_data/results",
                               "disk_usage_bytes": 287646297933,
                               "disk_usage_human": "267.9 GB"},
                   "videos": {"local_files": 12529, "directory": "/ethoscope_data/videos",
                              "disk_usage_bytes": 544649438682,
                              "disk_usage_human": "507.2 GB"}},
        "processing": False, "count": 818, "started": 1752137339, "ended": 1752137340,
        "metadata": {}} for i in range(n)},
        "disk_usage_summary": {
            "results": {"total_files": 29119, "total_size_bytes": 11215763841541,
                        "total_size_human": "10.2 TB"},
            "videos": {"total_files": 476102, "total_size_bytes": 20696678673241,
                       "total_size_human": "18.8 TB"}}}


def _head(status: int, length: int | None, extra: str = "") -> bytes:
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found",
              500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class DaemonFarm:
    """Servers on one asyncio loop in a background thread. Thread-safe `add` and `set`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="daemon-farm")
        self._servers: dict[int, asyncio.Server] = {}
        self.behaviours: dict[int, Behaviour] = {}
        self.requests: dict[int, list[dict[str, str]]] = {}
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> DaemonFarm:
        self._thread.start()
        self._call(self._init())
        return self

    async def _init(self) -> None:
        self._stop = asyncio.Event()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def add(self, behaviour: Behaviour) -> str:
        port: int = self._call(self._listen(behaviour))
        return f"http://127.0.0.1:{port}/status"

    def add_many(self, behaviours: list[Behaviour]) -> list[str]:
        ports: list[int] = self._call(self._listen_many(behaviours))
        return [f"http://127.0.0.1:{p}/status" for p in ports]

    async def _listen_many(self, behaviours: list[Behaviour]) -> list[int]:
        return [await self._listen(b) for b in behaviours]

    async def _listen(self, behaviour: Behaviour) -> int:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
        port = int(server.sockets[0].getsockname()[1])
        self._servers[port] = server
        self.behaviours[port] = behaviour
        self.requests[port] = []
        return port

    def set(self, url: str, behaviour: Behaviour) -> None:
        self.behaviours[int(url.rsplit(":", 1)[1].split("/")[0])] = behaviour

    def stop(self) -> None:
        async def close() -> None:
            assert self._stop is not None
            self._stop.set()
            for s in self._servers.values():
                s.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self._call(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        port = writer.get_extra_info("sockname")[1]
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (ln.partition(":") for ln in lines[1:] if ln)}
                headers["request-line"] = lines[0]
                self.requests[port].append(headers)
                if not await self._answer(self.behaviours[port], writer):
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _answer(self, b: Behaviour, w: asyncio.StreamWriter) -> bool:
        """Send one answer; False when the connection must end."""
        assert self._stop is not None
        if b.mode == "hang":
            await self._stop.wait()
            return False
        if b.mode == "close":
            return False
        if b.mode == "drip":
            w.write(_head(b.status, None, "Transfer-Encoding: chunked"))
            while not self._stop.is_set():
                w.write(b"1\r\n \r\n")
                await w.drain()
                await asyncio.sleep(b.drip_every_s)
            return False
        if b.mode == "oversize":
            chunk = b" " * 65536
            w.write(_head(b.status, None if b.chunked else b.size,
                          "Transfer-Encoding: chunked" if b.chunked else ""))
            sent = 0
            while sent < b.size:
                if b.chunked:
                    w.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    w.write(chunk)
                sent += len(chunk)
                await w.drain()
            return False
        data = b.raw if b.mode == "raw" else json.dumps(b.body).encode()
        w.write(_head(b.status, len(data)) + data)
        await w.drain()
        return True


def refusing_url() -> str:
    """A URL where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/status"


def _main() -> None:
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=500)
    p.add_argument("--hang", type=float, default=0.1)
    p.add_argument("--devices", type=int, default=5)
    a = p.parse_args()
    farm = DaemonFarm().start()
    behaviours = []
    n = a.nodes * 2
    every = round(1 / a.hang) if a.hang else 0
    for i in range(n):
        if every and i % every == every - 1:
            behaviours.append(Behaviour("hang"))
        elif i % 2 == 0:
            behaviours.append(Behaviour(body=mysql_body(a.devices)))
        else:
            behaviours.append(Behaviour(body=rsync_body(a.devices)))
    urls = farm.add_many(behaviours)
    print(json.dumps({"urls": urls, "hanging": [u for u, b in zip(urls, behaviours, strict=True)
                                                if b.mode == "hang"]}), flush=True)
    sys.stdin.read()
    farm.stop()


if __name__ == "__main__":
    _main()
