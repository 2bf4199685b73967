"""Manifests hold one entry a line, and an incremental writes its unchanged entries again as
they stood (no encoding); a one-line manifest of an older version is still built on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.engines.api import RunRequest
from core.engines.archive import ArchiveEngine
from core.engines.archive import manifest as mf
from core.progress import CancelToken, no_progress


def run(tmp: Path, src: Path, name: str, previous: dict | None = None) -> mf.Loaded:
    work = tmp / "store" / name
    work.mkdir(parents=True)
    req = RunRequest(1, "p", [str(src)], [], {"compression": "zstd:3"}, [],
                     "incremental" if previous else "full", name, work, previous)
    ArchiveEngine().run(req, no_progress, CancelToken())
    return mf.load(work / mf.MANIFEST_NAME)


def test_unchanged_entries_are_written_again_as_they_stood(tmp_path: Path, tree: Path,
                                                           impl: str) -> None:
    odd = tree / "odd,\nname ü"  # a comma, a newline and non-ASCII in a name
    odd.write_text("x")
    first = run(tmp_path, tree, "b1")
    raw = first.raw_entries()
    assert raw is not None and [json.loads(r) for r in raw] == first["entries"]
    assert any(e["path"].endswith("odd,\nname ü") for e in first["entries"])
    same = run(tmp_path, tree, "b2", first)
    assert same["changed"] == 0 and same["entries"] == first["entries"]
    assert same.raw_entries() == raw
    os.chmod(odd, 0o600)  # a new mode and ctime: read again
    changed = run(tmp_path, tree, "b3", same)
    assert changed["changed"] == 1
    entry = next(e for e in changed["entries"] if e["path"].endswith("odd,\nname ü"))
    assert entry["in"] == "b3" and entry["mode"] == 0o600
    assert [e for e in changed["entries"] if e is not entry and e["path"] != entry["path"]] \
        == [e for e in same["entries"] if e["path"] != entry["path"]]


def test_a_one_line_manifest_of_an_older_version_is_built_on(tmp_path: Path,
                                                             tree: Path) -> None:
    first = run(tmp_path, tree, "b1")
    old = mf.parse(json.dumps(dict(first), separators=(",", ":")).encode(), "old")
    assert old.raw_entries() is None and old["entries"] == first["entries"]
    same = run(tmp_path, tree, "b2", old)
    assert same["changed"] == 0 and same["entries"] == first["entries"]
    (tree / "run me.sh").write_text("echo changed, same mtime?\n")
    later = run(tmp_path, tree, "b3", old)
    assert later["changed"] == 1
