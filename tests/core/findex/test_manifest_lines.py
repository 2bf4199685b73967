"""A full backup's manifest is read for the index by a regex over its lines, not by json: the
files it gives must be those json gives, for any name and any entry the engine writes."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.engines.archive import manifest as mf
from core.findex.feed import manifest_files, manifest_listing

names = st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1,
                max_size=40) | st.binary(min_size=1, max_size=40).filter(
    lambda b: b"/" not in b and b"\x00" not in b).map(os.fsdecode)


def entry(path: str, kind: str, n: int) -> dict[str, Any]:
    e: dict[str, Any] = {"path": path, "type": kind, "mode": 0o644, "mtime_ns": n * 10**9 - 7,
                         "ctime_ns": -n, "ino": n, "uid": 0, "gid": n}
    if kind == "file":
        e.update(size=n * 3, sha256=f"{n:x}".ljust(64, "0"))
        e.update({"link": "x", "in": "b"} if n % 5 == 0 else {"in": "b"})
    elif kind == "symlink":
        e["target"] = '{"path":"' + path
    return e


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, st.sampled_from(["file", "file", "dir", "symlink"])),
                max_size=30))
def test_the_line_reader_gives_what_json_gives(items: list[tuple[str, str]]) -> None:
    entries = [entry(f"src/{p}", kind, n) for n, (p, kind) in enumerate(items, 1)]
    raw = mf.dumps(mf.build(backup_name="b", type_="full", parent=None, roots={}, entries=entries,
                            deleted=[], changed=0, created_at="", artifacts=[], warnings=[]))
    got = manifest_listing(raw, "m", changes=False).files
    assert sorted(got) == sorted(manifest_files(mf.parse(raw, "m")))


def test_an_entry_of_another_shape_falls_back_to_json() -> None:
    odd = {"path": "src/a", "type": "file", "size": 4, "mode": 0o644, "mtime_ns": 5,
           "ctime_ns": 5, "ino": 1, "uid": 0, "gid": 0}  # no sha256, keys in another order
    raw = mf.dumps(mf.build(backup_name="b", type_="full", parent=None, roots={},
                            entries=[entry("src/b", "file", 1), odd], deleted=[], changed=0,
                            created_at="", artifacts=[], warnings=[]))
    assert sorted(manifest_listing(raw, "m", changes=False).files) == [
        (b"src/a", 4, 5, None), (b"src/b", 3, 10**9 - 7, 0x100000000000)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, st.sampled_from(["file", "file", "dir", "symlink"]),
                          st.booleans()), max_size=30),
       st.lists(names, max_size=3))
def test_an_incrementals_lines_give_what_json_gives(items: list[tuple[str, str, bool]],
                                                     deleted: list[str]) -> None:
    """An incremental is read from the lines its backup wrote ("in" naming it) and its
    folders and links (a file that became one is gone)."""
    entries = []
    for n, (p, kind, mine) in enumerate(items, 1):
        e = entry(f"src/{p}", kind, n)
        if kind == "file":
            e["in"] = "b2" if mine else "b1"
        entries.append(e)
    raw = mf.dumps(mf.build(backup_name="b2", type_="incremental", parent="b1", roots={},
                            entries=entries, deleted=[f"src/{d}" for d in deleted], changed=0,
                            created_at="", artifacts=[], warnings=[]))
    got = manifest_listing(raw, "m", changes=True)
    assert sorted(got.files) == sorted(manifest_files(
        {"entries": [e for e in mf.parse(raw, "m")["entries"] if e.get("in") == "b2"]}))
    assert sorted(got.gone) == sorted(os.fsencode(p) for p in [
        *(f"src/{d}" for d in deleted),
        *(e["path"] for e in entries if e["type"] != "file")])
    assert got.total == sum(e["type"] == "file" for e in entries)
