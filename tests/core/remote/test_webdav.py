"""An archive plan whose destination is a WebDAV remote of rclone's own configuration
(`dav:PATH`), against a real `rclone serve webdav` on 127.0.0.1: back up, verify (and deep),
restore byte for byte, delete."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.core.archive.conftest import snapshot
from tests.core.remote.conftest import S3, flip_byte, run_cli


def test_backup_verify_restore_delete_on_webdav(home: Path, tmp_path: Path,
                                                webdav: S3) -> None:
    src = tmp_path / "src" / "data"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "a.txt").write_text("alpha\n" * 100)
    (src / "blob.bin").write_bytes(os.urandom(200_000))
    r = run_cli("plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", "dav:backups")
    assert r.returncode == 0, r.stderr
    r = run_cli("run", "p", "--json")
    assert r.returncode == 0, r.stderr
    bid = str(json.loads(r.stdout)["backup_id"])
    (folder,) = (webdav.root / "backups" / "p").iterdir()
    assert sorted(x.name for x in folder.iterdir()) == ["files.tar.zst", "manifest.json"]
    for deep in ((), ("--deep",)):
        r = run_cli("verify", bid, *deep, "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["locations"][0]["state"] == "ok"
    out = tmp_path / "restored"
    r = run_cli("restore", bid, "--to", str(out))
    assert r.returncode == 0, r.stderr
    assert snapshot(out) == snapshot(src.parent)
    archive = folder / "files.tar.zst"
    flip_byte(archive)
    r = run_cli("verify", bid, "--deep", "--json")
    assert json.loads(r.stdout)["locations"][0]["state"] == "corrupt"
    r = run_cli("delete", bid, "--files", "--yes")
    assert r.returncode == 0, r.stderr
    assert not folder.exists()
    assert json.loads(run_cli("backups", "--json").stdout) == []
