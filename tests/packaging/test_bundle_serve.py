"""`backupdesk serve` from the built bundle: uvicorn's by-name imports are in it (skipped
unless packaging/ci-smoke.sh built the bundle)."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import httpx


def test_serve_from_the_bundle(bundle: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("tok")
    token.chmod(0o600)
    proc = subprocess.Popen([str(bundle), "--home", str(tmp_path / "h"), "serve", "--token-file",
                             str(token), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        m = re.search(r"127\.0\.0\.1:(\d+)/status", proc.stdout.readline())
        assert m
        url = f"http://127.0.0.1:{m.group(1)}/status"
        assert httpx.get(url, headers={"Authorization": "Bearer tok"}).json()["devices"] == {}
        assert httpx.get(url).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and err == ""
