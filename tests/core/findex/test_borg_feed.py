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
from core.findex.borg_feed import borg_mtime, files_from_create
from core.findex.feed import borg_mtime_ns
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


def test_unusable_lists_fall_back(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    old = time.time_ns() + 10**9
    got, why = files_from_create([("A", str(f)), ("d", str(tmp_path))], old)
    assert got is not None and why == ""
    assert got == [(os.fsencode(f).lstrip(b"/"), 1, borg_mtime(f.stat().st_mtime_ns), None)]
    assert files_from_create([("A", str(f))], time.time_ns() - 10**9)[0] is None  # changed
    assert files_from_create([("E", str(f))], old)[0] is None
    assert files_from_create([("C", str(f))], old)[0] is None
    assert files_from_create([("A", str(tmp_path / "gone"))], old)[0] is None
    assert files_from_create([("A", str(tmp_path))], old)[0] is None  # not a file now
    assert files_from_create([("A", "../x")], old)[0] is None


@pytest.mark.parametrize("ns", [0, 1_700_000_000_123_456_789, 1_700_000_000_999_999_600,
                                1_700_000_000_000_000_500, 1_700_000_000_000_001_500])
def test_mtime_as_borg_list_gives_it(ns: int) -> None:
    from datetime import datetime

    # borg list: datetime.fromtimestamp(ns / 1e9).isoformat(), read back by the listing feed
    assert borg_mtime(ns) == borg_mtime_ns(datetime.fromtimestamp(ns / 1e9).isoformat())
