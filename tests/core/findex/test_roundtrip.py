"""The index keeps each backup's file list exactly: fed a random history of backups, it gives
back every backup's list, and the difference of any two (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.findex.diff import compare
from core.findex.feed import FileEntry, Listing, feed
from core.findex.store import open_index

# Names with odd bytes (not UTF-8), a 255-byte name, "*", "?" and "[" (GLOB's specials).
NAMES = st.sampled_from([b"a", b"b.txt", b"\xff\xfe", b"n\xe9e", b"x" * 255, b"s*t?r[1]",
                         b"dir/a", b"dir/sub/c", b"dir/\x80"])
VERSION = st.tuples(st.sampled_from([0, 1, 10 ** 12]), st.sampled_from([0, 5, 2 ** 62]),
                    st.one_of(st.none(), st.sampled_from([1, 2 ** 47])))
BACKUP = st.dictionaries(NAMES, VERSION, max_size=9)


def entries(files: dict[bytes, tuple[int, int, int | None]]) -> list[FileEntry]:
    return [(p, s, m, h) for p, (s, m, h) in files.items()]


@settings(max_examples=60, deadline=None)
@given(st.lists(BACKUP, min_size=1, max_size=8), st.data())
def test_every_backup_comes_back_whole(history: list[dict[bytes, tuple[int, int, int | None]]],
                                       data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ix = open_index(Path(tmp) / "plan-1.sqlite3")
        seqs = []
        for i, files in enumerate(history):
            before = history[i - 1] if i else {}
            if i and data.draw(st.booleans(), label="as changes"):
                # As an incremental manifest gives it: the files written anew (some maybe
                # unchanged after all), the paths gone, with some that never were files.
                again = data.draw(st.sets(st.sampled_from(sorted(files)))) if files else set()
                written = {p: v for p, v in files.items() if before.get(p) != v or p in again}
                listing = Listing(entries(written), base=f"n{i - 1}",
                                  gone=[*sorted(before.keys() - files.keys()), b"never/a/file"],
                                  total=len(files))
                ch = feed(ix, f"b:{i}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z", listing)
            else:
                ch = feed(ix, f"b:{i}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z", entries(files))
            assert ch["added"] == len(files.keys() - before.keys())
            assert ch["deleted"] == len(before.keys() - files.keys())
            assert ch["changed"] == sum(1 for p in files.keys() & before.keys()
                                        if files[p] != before[p])
            assert ch["unchanged"] == len(files) - ch["added"] - ch["changed"]
            seqs.append(ix.last_backup().seq)  # type: ignore[union-attr]
        for seq, files in zip(seqs, history, strict=True):
            got = {r.path: (r.size, r.mtime_ns, r.hash) for r in ix.held_at(seq)}
            assert got == files
        i = data.draw(st.integers(0, len(seqs) - 1))
        j = data.draw(st.integers(0, len(seqs) - 1))
        added, changed, deleted = compare(ix, seqs[i], seqs[j])
        a, b = history[i], history[j]
        assert [r.path for r in added] == sorted(b.keys() - a.keys())
        assert [r.path for r in deleted] == sorted(a.keys() - b.keys())
        assert [(o.path, (o.size, o.mtime_ns, o.hash), (n.size, n.mtime_ns, n.hash))
                for o, n in changed] == sorted((p, a[p], b[p]) for p in a.keys() & b.keys()
                                               if a[p] != b[p])
        every = {p for h in history for p in h}
        assert {p for _i, p in ix.matching("*")} == every
        assert {p for _i, p in ix.matching("dir/*")} == {p for p in every
                                                          if p.startswith(b"dir/")}
        ix.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(BACKUP, min_size=1, max_size=8), BACKUP, st.data())
def test_removed_backups_leave_the_rest_whole(
        history: list[dict[bytes, tuple[int, int, int | None]]],
        after: dict[bytes, tuple[int, int, int | None]], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ix = open_index(Path(tmp) / "plan-1.sqlite3")
        for i, files in enumerate(history):
            feed(ix, f"b:{i}", f"n{i}", f"2026-01-01T00:00:{i:02d}Z", entries(files))
        seqs = [x.seq for x in ix.backups()]
        gone = data.draw(st.sets(st.integers(0, len(history) - 1)))
        assert ix.remove_backups([f"b:{i}" for i in gone] + ["b:99"]) == len(gone)
        left = [i for i in range(len(history)) if i not in gone]
        assert [x.ref for x in ix.backups()] == [f"b:{i}" for i in left]
        for i in left:
            got = {r.path: (r.size, r.mtime_ns, r.hash) for r in ix.held_at(seqs[i])}
            assert got == history[i]
        assert {p for _i, p in ix.matching("*")} == {p for i in left for p in history[i]}
        # The next backup is compared with the newest one left.
        before = history[left[-1]] if left else {}
        ch = feed(ix, "b:100", "n100", "2026-01-01T00:01:00Z", entries(after))
        assert ch["added"] == len(after.keys() - before.keys())
        assert ch["deleted"] == len(before.keys() - after.keys())
        got = {r.path: (r.size, r.mtime_ns, r.hash) for r in ix.held_at(ix.backups()[-1].seq)}
        assert got == after
        for i in left:
            got = {r.path: (r.size, r.mtime_ns, r.hash) for r in ix.held_at(seqs[i])}
            assert got == history[i]
        ix.close()
