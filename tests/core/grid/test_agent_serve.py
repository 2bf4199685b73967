"""`backupdesk serve` under load and abuse, on 127.0.0.1 (issue 14). The 1,000-client and
2,000-idle-connection figures are in tests/bench/bench_agent.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.catalogue.db import Catalogue
from core.grid.agent import AgentHTTPServer, listen_socket, make_server, serve_in_thread
from core.grid.agent_http import AgentApp, ServeLimits
from core.plans import add_plan

TOKEN = "tok-serve"
REQUEST = f"GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()


def start(catalogue: Catalogue, limits: ServeLimits) -> tuple[AgentHTTPServer, threading.Thread]:
    server = make_server(catalogue, TOKEN, "127.0.0.1", 0, limits)
    return server, serve_in_thread(server)


@pytest.fixture
def planned(catalogue: Catalogue, tmp_path: Path) -> Catalogue:
    add_plan(catalogue, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "out")])
    return catalogue


@pytest.fixture
def small(planned: Catalogue) -> Iterator[int]:
    server, t = start(planned, ServeLimits(max_connections=5, request_timeout_s=0.5))
    yield server.server_port
    server.shutdown()
    server.server_close()
    t.join(5)


def closed_by_server(sock: socket.socket, within_s: float = 10.0, answered: bool = False) -> bool:
    """Whether the server closed `sock` within `within_s`, having sent an answer or not."""
    sock.settimeout(within_s)
    got = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            got += data
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return bool(got) == answered


def read_answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.findall(rb"(?i)content-length: (\d+)", head)[0])
    while len(body) < length:
        body += sock.recv(65536)
    sock.settimeout(None)
    return data


def test_300_concurrent_clients_are_all_answered(planned: Catalogue) -> None:
    server, t = start(planned, ServeLimits())

    async def clients() -> list[int]:
        limits = httpx.Limits(max_connections=400)
        async with httpx.AsyncClient(limits=limits, timeout=30) as c:
            url = f"http://127.0.0.1:{server.server_port}/status"
            headers = {"Authorization": f"Bearer {TOKEN}"}
            rs = await asyncio.gather(*(c.get(url, headers=headers) for _ in range(300)))
            return [r.status_code for r in rs]

    try:
        codes = asyncio.run(clients())
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)
    assert codes == [200] * 300


def test_an_idle_connection_is_closed(small: int) -> None:
    with socket.create_connection(("127.0.0.1", small)) as s:
        assert closed_by_server(s)


def test_a_dribbling_request_is_closed(small: int) -> None:
    with socket.create_connection(("127.0.0.1", small)) as s:
        s.sendall(REQUEST)  # one whole answer first: the deadline starts again after it
        assert read_answer(s).startswith(b"HTTP/1.1 200")
        for ch in b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
            try:
                s.sendall(bytes([ch]))
            except OSError:
                break
            time.sleep(0.1)
        assert closed_by_server(s, 1.0)


def test_an_answer_the_client_does_not_read_is_dropped() -> None:
    big = {"devices": {f"plan{i}": {"name": "x" * 1000} for i in range(20000)}}  # 20.5 MB
    limits = ServeLimits(request_timeout_s=0.5)
    server = AgentHTTPServer(listen_socket("127.0.0.1", 0, 16), AgentApp(TOKEN, lambda: big),
                             limits)
    t = serve_in_thread(server)
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", server.server_port))
            s.sendall(REQUEST)
            time.sleep(3.0)  # not reading: the server is stuck with most of the answer
            s.settimeout(10)
            got = 0
            with contextlib.suppress(ConnectionResetError):
                while chunk := s.recv(1 << 20):
                    got += len(chunk)
        assert 0 < got < 20_000_000
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)


def test_connections_beyond_the_cap_are_closed_and_then_served_again(small: int) -> None:
    idle = [socket.create_connection(("127.0.0.1", small)) for _ in range(5)]
    try:
        with socket.create_connection(("127.0.0.1", small)) as extra:
            extra.sendall(REQUEST)
            assert closed_by_server(extra, 5.0)
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            r = httpx.get(f"http://127.0.0.1:{small}/status",
                          headers={"Authorization": f"Bearer {TOKEN}"})
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert r.status_code == 200


def test_serve_process_is_quiet_about_hang_ups_and_keeps_no_thread_per_connection(
        home: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", "--home", str(home), "serve", "--token-file", str(token),
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, BACKUPDESK_HOME=str(home)))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+)/status", line)
        assert m, line
        port = int(m.group(1))
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        for cut in (REQUEST[:20], REQUEST, b"\x16\x03\x01garbage\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(cut)
            # Hang up with a reset, mid-request or before reading the answer.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        r = httpx.get(f"http://127.0.0.1:{port}/status",
                      headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and "docs" not in r.text
        threads = int(re.findall(r"Threads:\s+(\d+)",
                                 Path(f"/proc/{proc.pid}/status").read_text())[0])
        assert threads < 20
        for s in idle:
            s.close()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "Traceback" not in err and err == ""
    log = (home / "logs" / "backupdesk.log").read_text()
    assert "Started server process" in log and "Traceback" not in log
