"""`diff` and `diff --json` as the index's C part writes them (core.findex._fastdiff, through
core.findex.diff.text_into and json_into): byte for byte what Python writes from a Diff, for
any path, size and mtime, any two backups in either order, and in the same order; with
`--stat`, the same change per folder in the same order."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.findex import store
from core.findex.diff import _diff, added_line, changed_line, deleted_line, json_into, text_into
from core.findex.feed import FileEntry, feed
from core.findex.store import open_index
from tests.core.archive.conftest import REQUIRE_FASTPACK

# Printable ASCII, the characters json escapes among them, and bytes that are not UTF-8.
paths = st.text(st.sampled_from('ab/ ~[]"\\\x7f\té'), min_size=1, max_size=8).map(
    str.encode) | st.binary(min_size=1, max_size=8).filter(lambda b: b"\x00" not in b)
sizes = st.none() | st.integers(0, 2**63 - 1) | st.sampled_from(
    [0, 1023, 1024, 1280, 1331, 2**20 - 1, 2**53, 2**53 + 1, 2**62])
since_1970 = st.integers(0, 2**63 - 1)
mtimes = st.one_of(since_1970, since_1970, st.none(), st.integers(-2**62, -1))
# Per path: whether each of three backups holds it, and in which of two versions.
held = st.tuples(*[st.sampled_from([None, 0, 1])] * 3)


@pytest.fixture(autouse=True)
def c_part() -> None:
    """tests/run.sh sets BACKUPDESK_REQUIRE_FASTPACK=1: CI must not go without the C part."""
    if not store.FAST_DIFF:
        if REQUIRE_FASTPACK:
            from core.findex import _fastdiff  # noqa: F401  the ImportError, if any, says why
            pytest.fail("core.findex._fastdiff is built but switched off (BACKUPDESK_FASTPACK)")
        pytest.skip("core.findex._fastdiff is not built")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(paths, st.tuples(sizes, mtimes, sizes, mtimes, st.integers(0, 9), held),
                       max_size=25),
       st.sampled_from([(1, 2), (2, 1), (1, 3), (3, 1), (2, 3), (2, 2)]))
def test_the_c_text_is_what_python_writes(files: dict[bytes, Any], pair: tuple[int, int]
                                          ) -> None:
    backups: list[list[FileEntry]] = [[], [], []]
    for path, (s1, m1, s2, m2, h, at) in files.items():
        versions = [(path, s1, m1, h), (path, s2, m2, h + 1)]
        for i, v in enumerate(at):
            if v is not None:
                backups[i].append(versions[v])
    with tempfile.TemporaryDirectory() as tmp:
        ix = open_index(Path(tmp) / "ix.sqlite3")
        try:
            for i, entries in enumerate(backups, 1):
                feed(ix, f"b:{i}", f"n{i}", f"2026-01-0{i}", entries)
            a, b = (SimpleNamespace(id=n, name=f"n{n}") for n in pair)
            d = _diff(ix, a, b)  # type: ignore[arg-type]
            for stat in (False, True):
                out = io.BytesIO()
                json_into(out, ix, a, b, stat)  # type: ignore[arg-type]
                assert out.getvalue() == "".join(d.json_text(stat)).encode()
            out = io.BytesIO()
            folders = text_into(out, ix, a, b, stat=True)  # type: ignore[arg-type]
            lines = [*map(added_line, d.added), *map(changed_line, d.changed),
                     *map(deleted_line, d.deleted), d.totals_sentence() + "\n"]
            assert out.getvalue() == "".join(lines).encode()
            assert list(folders.items()) == list(d.by_folder().items())
        finally:
            ix.close()
