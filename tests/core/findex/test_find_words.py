"""A bare word is part of a name in any case; LIKE's own wildcards in it (`_`, `%`, `\\`) are
plain characters, as they are in the glob it stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.findex.feed import Listing, feed
from core.findex.find import matches, name_pattern
from core.findex.store import open_index

PATHS = [b"a/x_y.txt", b"a/xzy.txt", b"a/50%.txt", b"a/500.txt", b"a/b\\c.txt", b"a/bxc.txt",
         b"x_y/other.txt", b"a/X_Y-2.TXT", b"a/\xff_odd.bin"]


@pytest.mark.parametrize(("word", "want"), [
    ("x_y", [b"a/X_Y-2.TXT", b"a/x_y.txt"]),
    ("50%", [b"a/50%.txt"]),
    ("b\\c", [b"a/b\\c.txt"]),
    ("_odd", [b"a/\xff_odd.bin"]),
    ("xzy", [b"a/xzy.txt"]),
])
def test_word_wildcards_are_plain(tmp_path: Path, word: str, want: list[bytes]) -> None:
    ix = open_index(tmp_path / "ix.sqlite3")
    try:
        feed(ix, "b:1", "one", "2026-12-01T00:00:00Z",
             Listing([(p, 1, 0, None) for p in PATHS]))
        glob = name_pattern(word)
        got = sorted(p for _i, p in matches(ix, glob, word))
        assert got == want
        assert got == sorted(p for _i, p in matches(ix, glob))  # as the glob alone finds
    finally:
        ix.close()
