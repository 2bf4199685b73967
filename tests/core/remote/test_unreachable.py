"""A remote that cannot be reached is never reported as a damaged copy: `verify` and
`verify --deep` with the S3 server stopped (before, and in the middle of the download) leave
the copy unverified, with the reason, and the next verify with the server back finds it ok."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.core.remote.conftest import S3, run_cli
from tests.core.remote.test_s3 import add_s3_plan, make_source


def _state(bid: int) -> str:
    r = run_cli("backups", "--json")
    return str(next(b for b in json.loads(r.stdout) if b["id"] == bid)["locations"][0]["state"])


def test_verify_with_the_server_stopped_leaves_the_copy_unverified(home: Path, tmp_path: Path,
                                                                   s3: S3) -> None:
    add_s3_plan(make_source(tmp_path), s3)
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = json.loads(r.stdout)["backup_id"]
    s3.stop()
    for deep in ([], ["--deep"]):
        r = run_cli("verify", str(bid), "--json", *deep)
        assert r.returncode == 1
        loc = json.loads(r.stdout)["locations"][0]
        assert loc["state"] == "unverified", (deep, loc)
        assert loc["error"] == "Remote s3://bkt/backups: it cannot be reached."
        assert "could not be verified" in r.stderr
        assert _state(bid) != "corrupt"
    s3.start()
    r = run_cli("verify", str(bid), "--deep", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert _state(bid) == "ok"


def test_server_stopped_mid_deep_verify(home: Path, tmp_path: Path, s3: S3) -> None:
    src = make_source(tmp_path)
    (src / "big.bin").write_bytes(os.urandom(24 << 20))
    add_s3_plan(src, s3, "--bwlimit", "4M")
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = json.loads(r.stdout)["backup_id"]
    v = subprocess.Popen([sys.executable, "-m", "core", "verify", str(bid), "--deep",
                          "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)  # about 10 of its 24 MiB downloaded
    s3.stop()
    out, _ = v.communicate(timeout=120)
    assert v.returncode == 1
    loc = json.loads(out)["locations"][0]
    assert loc["state"] == "unverified", loc
    assert _state(bid) != "corrupt"
