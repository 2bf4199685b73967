"""The bundle's archive engine runs the C loop (_fastpack), not the pure-Python fallback."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.packaging.test_bundle import run


def test_archive_backup_uses_the_c_loop(bundle: Path, tmp_path: Path) -> None:
    internal = bundle.parent / "_internal" / "core" / "engines" / "archive"
    assert list(internal.glob("_fastpack*.so")), "the C loop is not in the bundle"
    findex = bundle.parent / "_internal" / "core" / "findex"
    assert list(findex.glob("_fastdiff*.so")), "diff's C part is not in the bundle"
    src = tmp_path / "src"
    (src / "sub dir").mkdir(parents=True)
    for i in range(50):
        (src / "sub dir" / f"file {i}.txt").write_bytes(os.urandom(100 * i))
    (src / "link").symlink_to("sub dir/file 3.txt")
    home, dest, out = tmp_path / "h", tmp_path / "dest", tmp_path / "out"
    added = run(
        bundle,
        "--home",
        str(home),
        "plan",
        "add",
        "p",
        "--engine",
        "archive",
        "--source",
        str(src),
        "--dest",
        str(dest),
    )
    assert added.returncode == 0, added.stderr
    done = run(bundle, "--home", str(home), "run", "p", "--json")
    assert done.returncode == 0, done.stderr
    backup_id = json.loads(done.stdout)["backup_id"]
    with closing(sqlite3.connect(home / "data" / "catalogue.sqlite3")) as db:
        (details,) = db.execute("SELECT details FROM backups WHERE id = ?", (backup_id,)).fetchone()
    assert json.loads(details)["writer"] == "c"
    restored = run(bundle, "--home", str(home), "restore", str(backup_id), "--to", str(out))
    assert restored.returncode == 0, restored.stderr
    for i in range(50):
        name = f"sub dir/file {i}.txt"
        assert (out / "src" / name).read_bytes() == (src / name).read_bytes()
    assert os.readlink(out / "src" / "link") == "sub dir/file 3.txt"
