"""`diff` and `diff --json` write their changed paths as SQLite gives their text
(core.findex.diff.text_into, json_into): byte for byte what Python writes, for any path, size
and mtime, and in the same order."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.findex.diff import _diff, added_line, changed_line, deleted_line, json_into, text_into
from core.findex.feed import FileEntry, feed
from core.findex.store import open_index

# Printable ASCII, the characters json escapes among them, and bytes that are not UTF-8.
paths = st.text(st.sampled_from('ab/ ~[]"\\\x7f\té'), min_size=1, max_size=8).map(
    str.encode) | st.binary(min_size=1, max_size=8).filter(lambda b: b"\x00" not in b)
sizes = st.none() | st.integers(0, 2**62) | st.sampled_from([1023, 1024, 1280, 1331, 2**53])
since_1970 = st.integers(0, 2**63 - 1)
mtimes = st.one_of(since_1970, since_1970, st.none(), st.integers(-2**62, -1))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(paths, st.tuples(sizes, mtimes, sizes, mtimes, st.integers(0, 3)),
                       max_size=25))
def test_the_sqlite_text_is_what_json_writes(files: dict[bytes, Any]) -> None:
    old: list[FileEntry] = []
    new: list[FileEntry] = []
    for path, (s1, m1, s2, m2, how) in files.items():
        if how != 1:  # 1: added
            old.append((path, s1, m1, 7))
        if how == 0:  # changed
            new.append((path, s2, m2, 8))
        elif how in (1, 3):  # 3: unchanged
            new.append((path, s1, m1, 7))
    with tempfile.TemporaryDirectory() as tmp:
        ix = open_index(Path(tmp) / "ix.sqlite3")
        try:
            feed(ix, "b:1", "one", "2026-01-01", old)
            feed(ix, "b:2", "two", "2026-01-02", new)
            a, b = SimpleNamespace(id=1, name="one"), SimpleNamespace(id=2, name="two")
            out = io.BytesIO()
            json_into(out, ix, a, b)  # type: ignore[arg-type]
            d = _diff(ix, a, b)  # type: ignore[arg-type]
            assert out.getvalue() == "".join(d.json_text()).encode()
            out = io.BytesIO()
            text_into(out, ix, a, b)  # type: ignore[arg-type]
            lines = [*map(added_line, d.added), *map(changed_line, d.changed),
                     *map(deleted_line, d.deleted), d.totals_sentence() + "\n"]
            assert out.getvalue() == "".join(lines).encode()
        finally:
            ix.close()
