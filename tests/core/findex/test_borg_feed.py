"""A borg run indexes its archive from `borg create --list` (no second borg process): the
index answers find and diff exactly as one built from `borg list` (reindex), on real borg runs
with adds, edits, deletes, an edit that keeps the size, hard links and odd names."""

from __future__ import annotations

import json
import os
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from core.catalogue.db import Catalogue
from core.catalogue.jobs import job_log
from core.findex.borg_feed import Prescan, Unusable, borg_mtime, changes_from_create
from core.findex.feed import borg_mtime_ns, feed
from core.findex.store import open_index
from tests.core.borg.conftest import PASSPHRASE, needs_borg
from tests.core.findex.cli import cli, lines

FALLBACK = "the archive is listed by borg"


def _answers(home: Path, capsys: pytest.CaptureFixture[str], ids: list[int]) -> list[Any]:
    rc, out = cli(home, capsys, "find", "*", "--json")
    assert rc == 0
    found = lines(out)
    diffs = []
    for a, b in pairwise(ids):
        rc, out = cli(home, capsys, "diff", str(a), str(b), "--json")
        assert rc == 0
        diffs.append(lines(out))
    return [found, diffs]


def _run(home: Path, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    time.sleep(0.05)  # the edits are older than the run by more than a clock tick
    rc, out = cli(home, capsys, "run", "docs", "--json")
    res = json.loads(out)
    assert rc == 0 and res["status"] == "success", res
    return res["backup_id"], job_log(catalogue, res["id"]) or ""


@pytest.mark.borg
@needs_borg
def test_the_create_list_indexes_as_borg_list_does(
        home: Path, catalogue: Catalogue, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    docs = source_tree / "docs"
    os.link(docs / "a.txt", docs / "a-link.txt")
    (docs / "what?.txt").write_text("a real question mark\n")
    (docs / "to-a").symlink_to("a.txt")
    os.mkfifo(source_tree / "pipe")
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    rc, _ = cli(home, capsys, "plan", "add", "docs", "--engine", "borg", "--repo", str(repo),
                "--source", str(source_tree), "--exclude", "*.tmp", "--init")
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    assert rc == 0
    ids = []
    bid, log = _run(home, catalogue, capsys)
    ids.append(bid)
    assert FALLBACK not in log

    # Adds, edits, a delete, an edit keeping size and mtime, a hard link's file grown.
    (docs / "new.txt").write_text("new\n")
    (docs / "deep" / "b.txt").write_text("BRAVO\n" * 100)
    st = (docs / "what?.txt").stat()
    (docs / "what?.txt").write_text("A REAL QUESTION MARK\n")
    os.utime(docs / "what?.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    (source_tree / "top.bin").unlink()
    with (docs / "a.txt").open("a") as f:
        f.write("more\n")
    bid, log = _run(home, catalogue, capsys)
    ids.append(bid)
    assert FALLBACK not in log

    bid, log = _run(home, catalogue, capsys)  # unchanged: borg says U
    ids.append(bid)
    assert FALLBACK not in log

    # A name that is not UTF-8: borg writes "?" for its byte, so borg lists the archive.
    (docs / os.fsdecode(b"n\xe9e.txt")).write_bytes(b"latin")
    bid, log = _run(home, catalogue, capsys)
    ids.append(bid)
    assert FALLBACK in log and "could not write the name" in log

    fed = _answers(home, capsys, ids)
    hits = {h["path"].rsplit("/", 1)[1]: h for h in fed[0]}
    assert [v["size"] for v in hits["a-link.txt"]["versions"]] == [6, 11]
    assert len(hits["what?.txt"]["versions"]) == 1  # same size and mtime: one version
    assert "to-a" not in hits and "pipe" not in hits

    rc, out = cli(home, capsys, "reindex")  # every archive through `borg list`
    assert rc == 0 and "4 backups indexed" in out
    assert _answers(home, capsys, ids) == fed


def test_changes_from_the_create_list(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "skip").mkdir(parents=True)
    for name in ("new", "same", "skip/x"):
        (src / name).write_text(name)
    after = time.time_ns() + 10**9  # the run started after every change

    def key(name: str) -> bytes:
        return os.fsencode(src / name).lstrip(b"/")

    def entry(name: str) -> tuple[int, int]:
        st = (src / name).stat()
        return st.st_size, borg_mtime(st.st_mtime_ns)

    prev = {key("same"): entry("same"), key("gone"): (1, 1), key("skip/x"): entry("skip/x")}
    got = changes_from_create([("A", str(src / "new")), ("x", str(src / "skip"))], after, 2,
                              [str(src)], ("b1", prev))
    assert got.base == "b1" and got.total == 2
    assert got.files == [(key("new"), *entry("new"), None)]
    assert sorted(got.gone) == [key("gone"), key("skip/x")]

    def unusable(listed: list[tuple[str, str]], nfiles: int, before: Any = ("b1", {}),
                 started: int = after, sources: tuple[str, ...] = (str(src),)) -> str:
        with pytest.raises(Unusable) as e:
            changes_from_create(listed, started, nfiles, sources, before)
        return str(e.value)

    new = ("A", str(src / "new"))
    # borg found a file unchanged that the backup before does not hold: counts differ
    assert "counts 2" in unusable([new], 2)
    assert "changed during" in unusable([new], 1, started=time.time_ns() - 10**9)
    assert "differs" in unusable([], 1, ("b1", {key("same"): (99, 1)}))
    for status in ("E", "C", "?"):
        assert repr(status) in unusable([(status, str(src / "new"))], 1)
    assert "no longer a file" in unusable([("A", str(src / "skip"))], 1)
    assert "outside" in unusable([("A", "../x")], 1)
    assert "relative" in unusable([new], 1, sources=("src",))


@pytest.mark.parametrize("ns", [0, 1_700_000_000_123_456_789, 1_700_000_000_999_999_600,
                                1_700_000_000_000_000_500, 1_700_000_000_000_001_500])
def test_mtime_as_borg_list_gives_it(ns: int) -> None:
    from datetime import datetime

    # borg list: datetime.fromtimestamp(ns / 1e9).isoformat(), read back by the listing feed
    assert borg_mtime(ns) == borg_mtime_ns(datetime.fromtimestamp(ns / 1e9).isoformat())


def test_a_look_made_while_borg_runs(tmp_path: Path) -> None:
    """The prescan looks at the files before borg may have read them: a file deleted after
    the look is missing from borg's count, and the list is not taken."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a", "b"):
        (src / name).write_text(name)
    entries = [(os.fsencode(src / n).lstrip(b"/"), (src / n).stat().st_size,
                borg_mtime((src / n).stat().st_mtime_ns), None) for n in ("a", "b")]
    index = tmp_path / "plan-1.sqlite3"
    ix = open_index(index)
    feed(ix, "b:1", "one", "2026-01-01T00:00:00Z", entries)
    ix.close()
    time.sleep(0.05)
    started = time.time_ns()
    pre = Prescan(index, started)
    before, looked = pre.result()
    assert before[0] == "one" and looked is not None and not looked.gone
    got = changes_from_create([], started, 2, [str(src)], before, looked)
    assert (got.base, got.total, got.gone) == ("one", 2, [])
    (src / "b").unlink()  # after the look, before borg read it: borg archives one file
    with pytest.raises(Unusable, match="counts 1"):
        changes_from_create([], started, 1, [str(src)], before, looked)
    (src / "a").write_text("changed")  # before the look: the look says so
    _, looked = Prescan(index, started).result()
    assert looked is not None and "changed during" in looked.problems[entries[0][0]]
