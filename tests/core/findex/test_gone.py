"""Backups that are deleted, pruned or vanish from their repository leave the file index: find,
diff and restore --file never offer a version only removed backups held, and the versions the
remaining backups hold stay findable. Real archive backups and real borg (`borg prune` outside
the app), through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.catalogue.db import Catalogue
from core.catalogue.jobs import get_job
from core.cli.main import main
from core.findex.indexing import plan_index_path
from core.findex.store import open_index
from tests.core.borg.conftest import borg_env, needs_borg, outside_create
from tests.core.findex.cli import add_borg_plan, cli, lines


def run(home: Path, capsys: pytest.CaptureFixture[str], *opts: str, plan: str = "p"
        ) -> dict[str, Any]:
    rc, out = cli(home, capsys, "run", plan, "--json", *opts)
    assert rc == 0, out
    return json.loads(out)


def archive_plan(home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """Plan "p" of the archive engine; its source, holding a.txt."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("one\n")
    rc, _ = cli(home, capsys, "plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", str(tmp_path / "dest"))
    assert rc == 0
    return src


def indexed(cat: Catalogue, plan_id: int = 1) -> list[int]:
    ix = open_index(plan_index_path(cat, plan_id))
    try:
        return [int(x.ref[2:]) for x in ix.backups()]
    finally:
        ix.close()


def versions(home: Path, capsys: pytest.CaptureFixture[str], pattern: str
             ) -> list[tuple[int | None, int, int, int]]:
    """(size, first backup, last backup, how many) of each version of the one path found."""
    rc, out = cli(home, capsys, "find", pattern, "--json")
    if rc == 1:
        return []
    hit, = lines(out)
    return [(v["size"], v["first_backup"]["id"], v["last_backup"]["id"], v["backups"])
            for v in hit["versions"]]


def changes(cat: Catalogue, job_id: int) -> tuple[int, int, int, int]:
    j = get_job(cat, job_id)
    assert j is not None and j.details is not None
    ch = j.details["changes"]
    return ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]


def test_deleted_and_pruned_archive_backups_leave_the_index(
        home: Path, catalogue: Catalogue, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = archive_plan(home, capsys, tmp_path)
    (src / "keep.txt").write_text("kept\n")
    b1 = run(home, capsys)["backup_id"]
    (src / "a.txt").write_text("two, longer\n")
    (src / "only2.txt").write_text("only in the second\n")
    b2 = run(home, capsys, "--full")["backup_id"]
    (src / "a.txt").write_text("three, longer still\n")
    (src / "only2.txt").unlink()
    b3 = run(home, capsys, "--full")["backup_id"]
    assert versions(home, capsys, "only2.txt") == [(19, b2, b2, 1)]

    rc, _ = cli(home, capsys, "delete", str(b2), "--files", "--yes")
    assert rc == 0
    assert indexed(catalogue) == [b1, b3]
    assert versions(home, capsys, "only2.txt") == []
    assert versions(home, capsys, "a.txt") == [(4, b1, b1, 1), (20, b3, b3, 1)]
    assert versions(home, capsys, "keep.txt") == [(5, b1, b3, 2)]
    rc = cli(home, capsys, "restore", "--file", str(src / "only2.txt"),
             "--to", str(tmp_path / "r0"))[0]
    assert rc == 2 and not (tmp_path / "r0").exists()
    rc, out = cli(home, capsys, "diff", str(b1), str(b3), "--json")
    d = lines(out)[0]
    assert (d["added"], d["deleted"]) == ([], [])
    assert [x["path"] for x in d["changed"]] == ["src/a.txt"]

    # The newest backup deleted: the next one is compared with the newest that remains.
    rc, _ = cli(home, capsys, "delete", str(b3), "--files", "--yes")
    assert rc == 0 and indexed(catalogue) == [b1]
    r4 = run(home, capsys, "--full")
    assert changes(catalogue, r4["id"]) == (0, 1, 0, 1)
    b4 = r4["backup_id"]
    assert versions(home, capsys, "a.txt") == [(4, b1, b1, 1), (20, b4, b4, 1)]
    rc, _ = cli(home, capsys, "restore", "--file", str(src / "a.txt"), "--version", "1",
                "--to", str(tmp_path / "r1"))
    assert rc == 0 and (tmp_path / "r1" / "src" / "a.txt").read_text() == "one\n"

    # Keep rules applied after a run prune one (the newest of each second: which one depends
    # on the clock); it leaves the index too.
    rc, _ = cli(home, capsys, "plan", "edit", "p", "--keep-last", "2")
    assert rc == 0
    (src / "a.txt").write_text("five\n")
    b5 = run(home, capsys, "--full")["backup_id"]
    rc, out = cli(home, capsys, "backups", "--json")
    left = [b["id"] for b in json.loads(out) if b["status"] != "deleted"]
    assert len(left) == 2 and left[1] == b5
    assert indexed(catalogue) == left
    size = {b1: 4, b4: 20, b5: 5}
    assert versions(home, capsys, "a.txt") == [(size[x], x, x, 1) for x in left]
    assert versions(home, capsys, "keep.txt") == [(5, left[0], b5, 2)]


def test_a_lost_removal_is_caught_up_by_the_next_backup(
        home: Path, catalogue: Catalogue, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A removal the index never heard of (it failed): the next backup takes the backups after
    the newest remaining one out before it is compared."""
    src = archive_plan(home, capsys, tmp_path)
    b1 = run(home, capsys)["backup_id"]
    (src / "a.txt").write_text("two, longer\n")
    b2 = run(home, capsys, "--full")["backup_id"]
    monkeypatch.setattr("core.jobs.delete.remove_quietly", lambda *_a: None)
    rc, _ = cli(home, capsys, "delete", str(b2), "--files", "--yes")
    assert rc == 0 and indexed(catalogue) == [b1, b2]
    r3 = run(home, capsys, "--full")  # a.txt as in b2: changed against b1
    assert changes(catalogue, r3["id"]) == (0, 1, 0, 0)
    assert indexed(catalogue) == [b1, r3["backup_id"]]


@pytest.mark.borg
@needs_borg
def test_borg_archives_pruned_outside_or_deleted_leave_the_index(
        home: Path, catalogue: Catalogue, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    add_borg_plan(home, capsys, monkeypatch, repo, source_tree, "--exclude", "*.tmp")
    mine = run(home, capsys, plan="docs")["backup_id"]
    (source_tree / "cron1.txt").write_text("only in cron-1\n")
    outside_create(str(repo), "cron-1", source_tree)
    (source_tree / "cron1.txt").unlink()
    (source_tree / "docs" / "a.txt").write_text("alpha, in cron-2\n")
    outside_create(str(repo), "cron-2", source_tree)
    rc, _ = cli(home, capsys, "refresh", "docs")
    assert rc == 0
    rc, out = cli(home, capsys, "backups", "--json")
    ids = {b["name"]: b["id"] for b in json.loads(out)}
    assert versions(home, capsys, "cron1.txt") == [(15, ids["cron-1"], ids["cron-1"], 1)]

    # Someone runs `borg prune` outside: cron-1 goes; the refresh takes it out of the index.
    subprocess.run(["borg", "prune", "--keep-last", "1", "--glob-archives", "cron-*", str(repo)],
                   check=True, env=borg_env(), stdin=subprocess.DEVNULL, capture_output=True)
    rc, _ = cli(home, capsys, "refresh", "docs")
    assert rc == 0
    assert indexed(catalogue) == [mine, ids["cron-2"]]
    assert versions(home, capsys, "cron1.txt") == []
    assert versions(home, capsys, "skip.tmp") == [(9, ids["cron-2"], ids["cron-2"], 1)]
    rc, out = cli(home, capsys, "diff", str(mine), str(ids["cron-2"]), "--json")
    d = lines(out)[0]
    assert [x["path"].rsplit("/", 1)[1] for x in d["added"]] == ["skip.tmp"]
    assert [x["path"].rsplit("/", 1)[1] for x in d["changed"]] == ["a.txt"]

    # Deleted through the app: gone from the index; the older version stays restorable.
    rc, _ = cli(home, capsys, "delete", str(ids["cron-2"]), "--yes")
    assert rc == 0
    assert indexed(catalogue) == [mine]
    assert versions(home, capsys, "skip.tmp") == []
    assert [v[0] for v in versions(home, capsys, "a.txt")] == [6]
    rc, _ = cli(home, capsys, "restore", "--file", str(source_tree / "docs" / "a.txt"),
                "--to", str(tmp_path / "out"))
    assert rc == 0
    assert (tmp_path / "out" / source_tree.name / "docs" / "a.txt").read_text() == "alpha\n"


def test_an_index_that_cannot_be_written_is_a_warning_on_a_successful_backup(
        home: Path, catalogue: Catalogue, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    archive_plan(home, capsys, tmp_path)
    # A file where the index folder should be: no index can be made (root ignores modes).
    plan_index_path(catalogue, 1).parent.parent.mkdir(parents=True, exist_ok=True)
    plan_index_path(catalogue, 1).parent.write_text("not a folder\n")
    rc, out = cli(home, capsys, "run", "p", "--json")
    assert rc == 0, out
    r = json.loads(out)
    assert r["status"] == "success" and r["error"] is None
    w, = r["warnings"]
    assert w["kind"] == "index" and w["text"].startswith("File index not updated")
    rc, out = cli(home, capsys, "history", "--json")
    job, = json.loads(out)
    assert job["status"] == "success" and [x["text"] for x in job["warnings"]] == [w["text"]]
    rc, _ = cli(home, capsys, "restore", str(r["backup_id"]), "--to", str(tmp_path / "out"))
    assert rc == 0 and (tmp_path / "out" / "src" / "a.txt").read_text() == "one\n"
    main(["--home", str(home), "run", "p"])  # the person's view: a warning line
    err = capsys.readouterr().err
    assert err.count("warning: File index not updated") == 1, err


@pytest.mark.borg
@needs_borg
def test_a_borg_run_and_refresh_whose_index_fails_warn_and_succeed(
        home: Path, catalogue: Catalogue, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    add_borg_plan(home, capsys, monkeypatch, repo, source_tree)
    plan_index_path(catalogue, 1).parent.parent.mkdir(parents=True, exist_ok=True)
    plan_index_path(catalogue, 1).parent.write_text("not a folder\n")
    r = run(home, capsys, plan="docs")
    assert r["status"] == "success"
    assert [w["kind"] for w in r["warnings"]] == ["index"]
    outside_create(str(repo), "cron-1", source_tree)
    rc, _ = cli(home, capsys, "refresh", "docs")
    assert rc == 0
    rc, out = cli(home, capsys, "history", "--json")
    refresh = json.loads(out)[0]
    assert refresh["kind"] == "refresh" and refresh["status"] == "success"
    assert [w["kind"] for w in refresh["warnings"]] == ["index"]
    rc, _ = cli(home, capsys, "restore", str(r["backup_id"]), "--to", str(tmp_path / "out"))
    assert rc == 0
    assert (tmp_path / "out" / source_tree.name / "docs" / "a.txt").read_text() == "alpha\n"


@pytest.mark.borg
@needs_borg
def test_borg_archives_pruned_by_the_plans_keep_rules_leave_the_index(
        home: Path, catalogue: Catalogue, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    add_borg_plan(home, capsys, monkeypatch, tmp_path / "repo", source_tree, "--keep-last", "1")
    (source_tree / "first.txt").write_text("only in the first archive\n")
    first = run(home, capsys, plan="docs")["backup_id"]
    (source_tree / "first.txt").unlink()
    # Its run prunes the first (an index with only pruned archives before the new one was
    # rebuilt before this change too: this guards the prune step's removal, not a fixed bug).
    second = run(home, capsys, plan="docs")["backup_id"]
    _rc, out = cli(home, capsys, "backups", "--json")
    assert [b["status"] for b in json.loads(out) if b["id"] == first] == ["deleted"]
    assert indexed(catalogue) == [second]
    assert versions(home, capsys, "first.txt") == []
    assert versions(home, capsys, "b.txt") == [(600, second, second, 1)]


def test_a_prune_takes_its_backups_out_of_the_index_at_once(
        home: Path, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ten pruned backups leave the index in one removal (one transaction), and what stays is
    what a rebuild from the remaining backups gives."""
    from core.findex.store import Index

    src = archive_plan(home, capsys, tmp_path)
    made = []
    for i in range(12):
        (src / f"f{i}.txt").write_text(f"{i}\n")
        (src / "a.txt").write_text("x" * (i + 1))
        made.append(run(home, capsys, "--full")["backup_id"])
    assert indexed(catalogue) == made
    calls: list[list[str]] = []
    real = Index.remove_backups

    def counted(self: Index, refs: Any) -> int:
        calls.append(sorted(refs))
        return real(self, refs)

    monkeypatch.setattr(Index, "remove_backups", counted)
    rc, _ = cli(home, capsys, "plan", "edit", "p", "--keep-last", "2")
    assert rc == 0
    rc, out = cli(home, capsys, "prune", "p")
    assert rc == 0, out
    rc, out = cli(home, capsys, "backups", "--json")
    left = sorted(b["id"] for b in json.loads(out) if b["status"] != "deleted")
    assert len(left) == 2  # which two depends on the clock: many were made in one second
    assert calls == [sorted(f"b:{i}" for i in made if i not in left)]
    assert indexed(catalogue) == left

    def held() -> list[list[tuple[bytes, int | None]]]:
        ix = open_index(plan_index_path(catalogue, 1))
        try:
            return [sorted((r.path, r.size) for r in ix.held_at(x.seq)) for x in ix.backups()]
        finally:
            ix.close()

    before = held()
    rc, _ = cli(home, capsys, "reindex", "p")
    assert rc == 0 and held() == before and indexed(catalogue) == left
    assert versions(home, capsys, "a.txt") == [(made.index(x) + 1, x, x, 1) for x in left]
