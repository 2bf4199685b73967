"""The file index of borg plans: archives the app makes and archives made by `borg create`
outside it (found by a refresh), on real repositories with the real borg binary."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.catalogue.db import Catalogue
from core.catalogue.jobs import get_job
from tests.core.borg.conftest import needs_borg, outside_create
from tests.core.findex.cli import add_borg_plan, cli, lines

pytestmark = [pytest.mark.borg, needs_borg]


def test_borg_archives_feed_the_index(home: Path, catalogue: Catalogue, tmp_path: Path,
                                      source_tree: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    odd = os.fsdecode(b"n\xe9e.txt")  # Latin-1 bytes: not UTF-8
    (source_tree / odd).write_bytes(b"latin")
    add_borg_plan(home, capsys, monkeypatch, repo, source_tree, "--exclude", "*.tmp")
    rc, out = cli(home, capsys, "run", "docs", "--json")
    first = json.loads(out)
    assert rc == 0 and first["status"] == "success"
    j = get_job(catalogue, first["id"])
    assert j is not None and j.details is not None
    assert j.details["changes"]["added"] == 4 and j.details["changes"]["deleted"] == 0

    # A cron script's archive after a change, found by a refresh, is indexed too.
    (source_tree / "docs" / "a.txt").write_text("alpha, again and longer\n")
    (source_tree / "top.bin").unlink()
    (source_tree / "docs" / "c.txt").write_text("charlie\n")
    outside_create(str(repo), "cron-1", source_tree)
    rc, _ = cli(home, capsys, "refresh", "docs")
    assert rc == 0
    rc, out = cli(home, capsys, "backups", "--json")
    ids = {b["name"]: b["id"] for b in json.loads(out)}
    cron = ids["cron-1"]

    rc, out = cli(home, capsys, "find", "a.txt", "--json")
    hit, = lines(out)
    inner = str(source_tree / "docs" / "a.txt").lstrip("/")
    assert hit["path"] == inner
    assert [(v["size"], v["first_backup"]["id"]) for v in hit["versions"]] == \
        [(6, first["backup_id"]), (24, cron)]
    assert hit["versions"][1]["stored"] == [str(repo)]
    rc, out = cli(home, capsys, "find", "n*.txt", "--json")
    # borg 1.2's listing writes "?" for bytes it cannot decode (path_b64, which the feed takes,
    # comes with later versions): the index keeps the name as borg gives it.
    names = [os.fsencode(h["path"]).rsplit(b"/", 1)[1] for h in lines(out)]
    assert names in ([b"n\xe9e.txt"], [b"n?e.txt"])

    rc, out = cli(home, capsys, "diff", str(first["backup_id"]), str(cron), "--json")
    d = lines(out)[0]
    # the cron script does not exclude *.tmp as the plan does
    assert [x["path"].rsplit("/", 1)[1] for x in d["added"]] == ["c.txt", "skip.tmp"]
    assert [x["path"].rsplit("/", 1)[1] for x in d["changed"]] == ["a.txt"]
    assert [x["path"].rsplit("/", 1)[1] for x in d["deleted"]] == ["top.bin"]

    # The next run of the plan is compared with the cron archive before it.
    rc, out = cli(home, capsys, "run", "docs", "--json")
    third = json.loads(out)
    j = get_job(catalogue, third["id"])
    assert j is not None and j.details is not None
    ch = j.details["changes"]
    assert (ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]) == (0, 0, 1, 4)

    # Restore the first version of a.txt by its path on the source.
    rc, _ = cli(home, capsys, "restore", "--file", str(source_tree / "docs" / "a.txt"),
                "--version", "1", "--to", str(tmp_path / "out"))
    assert rc == 0
    assert (tmp_path / "out" / source_tree.name / "docs" / "a.txt").read_text() == "alpha\n"
    # reindex lists every archive again.
    rc, out = cli(home, capsys, "reindex")
    assert rc == 0 and "3 backups indexed" in out
    rc, out = cli(home, capsys, "find", "a.txt", "--json")
    assert [v["backups"] for v in lines(out)[0]["versions"]] == [1, 2]


def test_an_outside_archive_older_than_the_index_rebuilds_it(
        home: Path, catalogue: Catalogue, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    add_borg_plan(home, capsys, monkeypatch, repo, source_tree, "--exclude", "*.tmp")
    # Before the plan's first run: an hour before, as times are compared to the second.
    outside_create(str(repo), "cron-0", source_tree, "--timestamp",
                   (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    rc, out = cli(home, capsys, "run", "docs", "--json")
    assert rc == 0
    mine = json.loads(out)["backup_id"]
    rc, out = cli(home, capsys, "backups", "--json")
    cron = {b["name"]: b["id"] for b in json.loads(out)}["cron-0"]
    rc, out = cli(home, capsys, "find", "b.txt", "--json")
    v, = lines(out)[0]["versions"]
    assert (v["first_backup"]["id"], v["last_backup"]["id"], v["backups"]) == (cron, mine, 2)
    rc, out = cli(home, capsys, "find", "skip.tmp", "--json")  # only cron-0 holds it
    v, = lines(out)[0]["versions"]
    assert (v["first_backup"]["id"], v["last_backup"]["id"]) == (cron, cron)
