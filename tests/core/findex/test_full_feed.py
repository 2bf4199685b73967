"""A whole file list (a full backup's) is indexed as its changes since the newest backup, found
by set comparison, with that backup's files read ahead on a thread while the backup runs: the
index must be what feeding file by file gives, whatever was read ahead."""

from __future__ import annotations

from pathlib import Path

from core.findex.feed import FileEntry, feed
from core.findex.store import Index, open_index, read_newest


def files(n: int, changed: frozenset[int] = frozenset(), gone: frozenset[int] = frozenset(),
          extra: int = 0) -> list[FileEntry]:
    out: list[FileEntry] = [(f"d{i % 3}/f{i}".encode(), i + (1000 if i in changed else 0), i, i)
                            for i in range(n) if i not in gone]
    return out + [(f"new/f{i}".encode(), 1, 1, None) for i in range(extra)]


def state(ix: Index) -> list[list[tuple[bytes, int | None, int | None, int | None]]]:
    return [sorted((r.path, r.size, r.mtime_ns, r.hash) for r in ix.held_at(b.seq))
            for b in ix.backups()]


def test_set_comparison_and_read_ahead_index_what_one_by_one_does(tmp_path: Path) -> None:
    lists = [files(40), files(40, changed=frozenset({1, 2})),
             files(40, gone=frozenset({5, 6}), extra=2),
             files(40, changed=frozenset({7}), gone=frozenset({5, 6, 8}))]
    one = open_index(tmp_path / "one.sqlite3")
    many = open_index(tmp_path / "many.sqlite3")
    summaries = []
    for k, listing in enumerate(lists):
        # Iterables are fed file by file (a generator is no list): the reference.
        summaries.append(feed(one, f"b:{k}", f"n{k}", f"2026-01-0{k + 1}", iter(listing)))
        ahead = read_newest(many.path)
        assert (ahead is None) == (k == 0)
        got = feed(many, f"b:{k}", f"n{k}", f"2026-01-0{k + 1}", listing, ahead)
        assert got == summaries[-1]
    assert state(many) == state(one)
    assert [(s["added"], s["changed"], s["deleted"], s["unchanged"]) for s in summaries] == [
        (40, 0, 0, 0), (0, 2, 0, 38), (2, 2, 2, 36), (0, 1, 3, 36)]
    one.close()
    many.close()


def test_what_was_read_ahead_is_not_taken_once_the_index_moved_on(tmp_path: Path) -> None:
    ix = open_index(tmp_path / "ix.sqlite3")
    ref_ix = open_index(tmp_path / "ref.sqlite3")
    feed(ix, "b:0", "n0", "2026-01-01", files(30))
    feed(ref_ix, "b:0", "n0", "2026-01-01", iter(files(30)))
    stale = read_newest(ix.path)  # read while backup 0 was the newest
    assert stale is not None and stale[0] == "b:0"
    feed(ix, "b:1", "n1", "2026-01-02", files(30, gone=frozenset({1, 2, 3})))
    feed(ref_ix, "b:1", "n1", "2026-01-02", iter(files(30, gone=frozenset({1, 2, 3}))))
    got = feed(ix, "b:2", "n2", "2026-01-03", files(30, changed=frozenset({4})), stale)
    want = feed(ref_ix, "b:2", "n2", "2026-01-03", iter(files(30, changed=frozenset({4}))))
    assert got == want and (got["added"], got["changed"], got["unchanged"]) == (3, 1, 26)
    assert state(ix) == state(ref_ix)
    ix.close()
    ref_ix.close()


def test_nothing_is_read_ahead_from_an_index_not_made_yet(tmp_path: Path) -> None:
    assert read_newest(tmp_path / "none.sqlite3") is None
    assert not (tmp_path / "none.sqlite3").exists()
