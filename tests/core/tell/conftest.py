"""A real HTTP receiver on 127.0.0.1 recording what it is sent; `backupdesk` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Receiver:
    url: str
    got: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 200

    def paths(self) -> list[str]:
        return [p for p, _ in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            rec.got.append((self.path, self.rfile.read(n)))
            self.send_response(rec.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_port}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield rec
    server.shutdown()
    server.server_close()
    t.join(5)


@pytest.fixture
def cli(home: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `backupdesk ARGS` in a process of its own, in `home`, with secrets in the file."""
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                           text=True, env=dict(os.environ), timeout=120)
        if check:
            assert r.returncode == 0, r.stderr
        return r

    return run


def history(cli) -> list[dict]:
    import json

    return json.loads(cli("history", "--json").stdout)


def job_log(home: Path, job_id: int) -> str:
    from core.catalogue import open_catalogue
    from core.catalogue.jobs import job_log as read
    from core.config import AppConfig

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        return read(cat, job_id) or ""
    finally:
        cat.dispose()


def docs_plan(cli, tmp_path: Path, *extra: str, dests: int = 1, check: bool = True
              ) -> subprocess.CompletedProcess[str]:
    """`plan add docs` of an archive plan backing up one small file, with `extra` flags."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text("hello")
    args = [a for i in range(dests) for a in ("--dest", str(tmp_path / f"d{i}"))]
    return cli("plan", "add", "docs", "--engine", "archive", "--source", str(src), *args,
               "--no-verify", *extra, check=check)
