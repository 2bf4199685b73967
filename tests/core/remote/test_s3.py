"""Archive plans with an S3 destination, against a real S3 server (rclone serve s3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.core.remote.conftest import S3, run_cli


def make_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n" * 100)
    (src / "blob.bin").write_bytes(os.urandom(300_000))
    return src


def add_s3_plan(src: Path, s3: S3, *extra: str) -> None:
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "s3://bkt/backups", "--s3-endpoint", s3.endpoint, *extra)
    assert r.returncode == 0, r.stderr


def objects(s3: S3) -> list[str]:
    root = s3.root / "bkt"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_backup_to_s3_streams_verifies_and_keeps_keys_out(home: Path, tmp_path: Path,
                                                           s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    names = objects(s3)
    folder = next(n.split("/")[2] for n in names if n.endswith("manifest.json"))
    assert {n.split("/")[-1] for n in names if folder in n} == {"files.tar.zst",
                                                                 "manifest.json"}
    assert not [n for n in names if "/." in n]  # no staging or probe object left
    r = run_cli("verify", str(out["backup_id"]), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["locations"][0]["state"] == "ok"
    catalogue = (home / "data" / "catalogue.sqlite3").read_bytes()
    assert b"backupdesk-test-secret" not in catalogue
    assert b"AKIDBACKUPDESKTEST" not in catalogue
    for log in (home / "logs").rglob("*"):
        if log.is_file():
            assert b"backupdesk-test-secret" not in log.read_bytes()
