"""Restore, copy out, delete and keep rules on an S3 destination like on a local one, never
outside the plan's destinations (real S3 server: rclone serve s3)."""

from __future__ import annotations

import filecmp
import json
import os
import sqlite3
from pathlib import Path

from tests.core.remote.conftest import S3, run_cli
from tests.core.remote.test_s3 import add_s3_plan, make_source, objects


def _run(*args: str) -> dict:
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_incremental_restore_and_copy_out_from_s3_only(home: Path, tmp_path: Path,
                                                       s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)
    first = _run("run", "p")
    (src / "docs" / "new.txt").write_text("added later\n")
    (src / "blob.bin").write_bytes(os.urandom(1000))
    second = _run("run", "p")
    assert second["type"] == "incremental"  # its parent's manifest was read from S3
    out = tmp_path / "restored"
    _run("restore", str(second["backup_id"]), "--to", str(out))
    cmp = filecmp.dircmp(src, out / "src")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    assert (out / "src" / "docs" / "new.txt").read_text() == "added later\n"
    assert (out / "src" / "blob.bin").read_bytes() == (src / "blob.bin").read_bytes()
    copied = tmp_path / "copied"
    r = run_cli("copy-out", str(first["backup_id"]), "--to", str(copied))
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in copied.rglob("*") if p.is_file())
    assert names == ["files.tar.zst", "manifest.json"]


def test_delete_and_keep_rules_remove_remote_objects(home: Path, tmp_path: Path,
                                                     s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3, "--keep-last", "1")
    _run("run", "p")
    second = _run("run", "p", "--full")  # the keep rule removes the first, objects too
    folders = {n.split("/")[2] for n in objects(s3)}
    assert len(folders) == 1 and folders.pop().endswith(f"job{second['id']}")
    (src / "docs" / "a.txt").write_text("changed\n")
    _run("run", "p")  # keep-last 1 keeps a whole chain: the full stays
    assert len({n.split("/")[2] for n in objects(s3)}) == 2
    r = run_cli("delete", str(second["backup_id"]), "--files", "--yes")
    assert r.returncode == 0, r.stderr
    assert objects(s3) == []  # the full and its incremental, at the remote too


def test_delete_never_outside_the_destination(home: Path, tmp_path: Path, s3: S3) -> None:
    src = make_source(tmp_path)
    add_s3_plan(src, s3)
    bid = _run("run", "p")["backup_id"]
    (s3.root / "bkt" / "elsewhere").mkdir()
    (s3.root / "bkt" / "elsewhere" / "keep.txt").write_text("not a backup\n")
    with sqlite3.connect(home / "data" / "catalogue.sqlite3") as db:
        db.execute("UPDATE backup_locations SET path = 's3://bkt/elsewhere' "
                   "WHERE backup_id = ?", (bid,))
    r = run_cli("delete", str(bid), "--files", "--yes")
    assert r.returncode != 0
    assert "not inside destination" in r.stderr
    assert (s3.root / "bkt" / "elsewhere" / "keep.txt").is_file()
