"""The file index of archive plans, end to end through the CLI on real backups: what each
backup changed, find, diff, restore --file, reindex, and an index lost or damaged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from core.backups import get_backup
from core.catalogue.db import Catalogue
from core.catalogue.jobs import get_job
from core.cli.main import main
from core.findex import diff as diff_module
from core.findex import store
from core.findex.feed import feed, manifest_files
from core.findex.indexing import files_of_backup, index_backup, plan_index_path
from core.findex.store import drop, open_index
from core.run_prep import read_manifest
from tests.core.archive.conftest import REQUIRE_FASTPACK
from tests.core.findex.cli import cli, lines

ODD = os.fsdecode(b"odd-\xff\xfe.bin")  # not UTF-8: a lone surrogate pair in Python
LONG = "L" * 251 + ".txt"  # 255 bytes, the longest name a Linux file system takes


def run(home: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    rc, out = cli(home, capsys, "run", "p", "--json")
    assert rc == 0, out
    return json.loads(out)


@pytest.fixture
def plan(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "pics").mkdir()
    (src / "docs" / "a.txt").write_text("alpha\n")
    (src / "docs" / "gone.txt").write_text("soon deleted\n")
    (src / "pics" / "same.bin").write_bytes(b"1" * 1000)
    (src / ODD).write_bytes(b"odd")
    (src / LONG).write_text("long\n")
    rc, _ = cli(home, capsys, "plan", "add", "p", "--engine", "archive", "--source", str(src),
                "--dest", str(tmp_path / "dest"))
    assert rc == 0
    return src


def job_changes(cat: Catalogue, job_id: int) -> dict[str, Any]:
    j = get_job(cat, job_id)
    assert j is not None
    details = j.details or {}
    return dict(details["changes"])


def test_backups_feed_the_index_and_find_diff_restore_answer(
        home: Path, plan: Path, catalogue: Catalogue, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = plan
    first = run(home, capsys)
    assert job_changes(catalogue, first["id"]) == {
        "added": 5, "changed": 0, "deleted": 0, "unchanged": 0,
        "bytes_by_folder": {"src/pics": 1000, "src/docs": 19, "src/" + LONG: 5,
                            "src/" + ODD: 3}}
    # Second backup: one added, one changed, one deleted, and one rewritten with the same
    # size and mtime (only its content tells it apart).
    (src / "docs" / "new.txt").write_text("new file\n")
    (src / "docs" / "a.txt").write_text("alpha, longer now\n")
    (src / "docs" / "gone.txt").unlink()
    st = (src / "pics" / "same.bin").stat()
    (src / "pics" / "same.bin").write_bytes(b"2" * 1000)
    os.utime(src / "pics" / "same.bin", ns=(st.st_atime_ns, st.st_mtime_ns))
    second = run(home, capsys)
    ch = job_changes(catalogue, second["id"])
    assert (ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]) == (1, 2, 1, 2)
    assert ch["bytes_by_folder"] == {"src/pics": 1000, "src/docs": 27}
    third = run(home, capsys)  # nothing changed
    assert job_changes(catalogue, third["id"])["unchanged"] == 5
    a, b = first["backup_id"], second["backup_id"]

    rc, out = cli(home, capsys, "diff", str(a), str(b), "--json", "--stat")
    assert rc == 0
    d = lines(out)[0]
    assert [x["path"] for x in d["added"]] == ["src/docs/new.txt"]
    assert [x["path"] for x in d["deleted"]] == ["src/docs/gone.txt"]
    changed = {x["path"]: x for x in d["changed"]}
    assert set(changed) == {"src/docs/a.txt", "src/pics/same.bin"}
    same = changed["src/pics/same.bin"]
    assert same["size_before"] == same["size_after"] == 1000
    assert same["mtime_before"] == same["mtime_after"]
    assert changed["src/docs/a.txt"]["size_before"] == 6
    assert changed["src/docs/a.txt"]["size_after"] == 18
    assert d["totals"] == {"added": 1, "changed": 2, "deleted": 1, "bytes_added": 9,
                           "bytes_changed": 1018, "bytes_deleted": 13}
    assert d["folders"]["src/docs"]["bytes"] == 9 + 12 - 13
    rc, out = cli(home, capsys, "diff", str(b), str(third["backup_id"]), "--json")
    assert lines(out)[0]["totals"]["changed"] == 0

    rc, out = cli(home, capsys, "find", "a.txt", "--json")
    assert rc == 0
    hit, = lines(out)
    assert hit["plan"] == "p" and hit["path"] == "src/docs/a.txt"
    v1, v2 = hit["versions"]
    assert (v1["size"], v1["first_backup"]["id"], v1["last_backup"]["id"]) == (6, a, a)
    assert (v2["size"], v2["first_backup"]["id"], v2["last_backup"]["id"]) == \
        (18, b, third["backup_id"])
    assert v2["backups"] == 2 and v2["stored"] and Path(v2["stored"][0]).is_dir()
    rc, out = cli(home, capsys, "find", "A.TX", "--json")  # a bare word: part of a name, any case
    assert [h["path"] for h in lines(out)] == ["src/docs/a.txt"]
    rc, out = cli(home, capsys, "find", "*.bin", "--json")
    assert sorted(h["path"] for h in lines(out)) == ["src/" + ODD, "src/pics/same.bin"]
    assert os.fsencode(lines(out)[0]["path"]) == b"src/odd-\xff\xfe.bin"
    rc, out = cli(home, capsys, "find", "src/docs/*", "--json")
    assert sorted(h["path"] for h in lines(out)) == [
        "src/docs/a.txt", "src/docs/gone.txt", "src/docs/new.txt"]
    rc, out = cli(home, capsys, "find", "L*", "--json")
    assert [h["path"] for h in lines(out)] == ["src/" + LONG]
    rc, out = cli(home, capsys, "find", "docs")  # a folder name is no file name
    assert rc == 1 and out == ""
    rc, out = cli(home, capsys, "find", "gone.txt", "--since", "2999-01-01", "--json")
    assert rc == 1

    # Restore the oldest version of a file by its path on the source, and the newest.
    rc, _ = cli(home, capsys, "restore", "--file", str(src / "docs" / "a.txt"),
                "--version", "1", "--to", str(tmp_path / "v1"))
    assert rc == 0
    assert (tmp_path / "v1" / "src" / "docs" / "a.txt").read_text() == "alpha\n"
    assert not (tmp_path / "v1" / "src" / "pics").exists()
    rc, _ = cli(home, capsys, "restore", "--file", "src/docs/a.txt", "--version", "last",
                "--to", str(tmp_path / "v2"))
    assert (tmp_path / "v2" / "src" / "docs" / "a.txt").read_text() == "alpha, longer now\n"
    rc, _ = cli(home, capsys, "restore", "--file", "src/pics/same.bin", "--version", "first",
                "--to", str(tmp_path / "v3"))
    assert (tmp_path / "v3" / "src" / "pics" / "same.bin").read_bytes() == b"1" * 1000
    rc, _ = cli(home, capsys, "restore", "--file", str(src / ODD), "--to", str(tmp_path / "v4"))
    assert rc == 0 and (tmp_path / "v4" / "src" / ODD).read_bytes() == b"odd"
    rc, _ = cli(home, capsys, "restore", "--file", str(src / "docs" / "gone.txt"),
                "--at", "2999-01-01", "--to", str(tmp_path / "v5"))
    assert rc == 0 and (tmp_path / "v5" / "src" / "docs" / "gone.txt").read_text() == \
        "soon deleted\n"

    # The index gives back each backup's file list as its manifest has it.
    ix = open_index(plan_index_path(catalogue, 1))
    try:
        for x in ix.backups():
            b = get_backup(catalogue, int(x.ref[2:]))
            want = sorted(manifest_files(read_manifest(b)))
            assert sorted((r.path, r.size, r.mtime_ns, r.hash) for r in ix.held_at(x.seq)) == want
            assert len(want) == 5
    finally:
        ix.close()


def test_bad_restore_file_requests_are_one_line_errors(
        home: Path, plan: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(home, capsys)
    for args, words in [
            (["--file", "src/docs/a.txt", "--version", "9"], "from 1 to 1"),
            (["--file", "src/docs/nope.txt"], "No backup holds"),
            (["--file", "src/docs/a.txt", "--at", "2000-01-01"], "No backup made by"),
            (["--file", "src/docs/a.txt", "--path", "x"], "takes no backup ID, --path"),
            (["1", "--file", "src/docs/a.txt"], "takes no backup ID")]:
        rc = main(["--home", str(home), "restore", *args, "--to", str(tmp_path / "x")])
        err = capsys.readouterr().err
        assert rc == 2 and words in err and err.count("\n") == 1, err
        assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit) as e:
        main(["--home", str(home), "restore", "--file", "a", "--at", "yesterday", "--to", "x"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "'yesterday' is not a date" in err and err.count("\n") == 1
    rc = main(["--home", str(home), "restore", "--file", "src/docs/a.txt"])
    assert rc == 2 and "--file needs --to DIR" in capsys.readouterr().err


def test_lost_or_damaged_index_is_rebuilt_never_an_error(
        home: Path, plan: Path, catalogue: Catalogue, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = plan
    rc = main(["--home", str(home), "find", "*"])
    assert rc == 1 and "`backupdesk reindex` builds it" in capsys.readouterr().err
    run(home, capsys)
    first_path = plan_index_path(catalogue, 1)
    assert first_path.is_file()
    first_path.unlink()  # lost: the next backup rebuilds it from the earlier backups
    (src / "docs" / "a.txt").write_text("beta\n")
    second = run(home, capsys)
    assert second["status"] == "success"
    ch = job_changes(catalogue, second["id"])
    assert (ch["added"], ch["changed"]) == (0, 1)
    rc, out = cli(home, capsys, "find", "a.txt", "--json")
    assert len(lines(out)[0]["versions"]) == 2
    first_path.write_bytes(b"this is not a database" * 100)  # damaged
    (src / "docs" / "a.txt").write_text("gamma\n")
    third = run(home, capsys)
    assert third["status"] == "success"
    assert job_changes(catalogue, third["id"])["changed"] == 1
    rc, out = cli(home, capsys, "find", "a.txt", "--json")
    assert [v["size"] for v in lines(out)[0]["versions"]] == [6, 5, 6]
    # reindex builds the same index again from the backups.
    ix = open_index(first_path)
    before = sorted((r.path, r.first, r.last, r.size, r.mtime_ns, r.hash)
                    for s in (1, 2, 3) for r in ix.held_at(s))
    ix.close()
    rc, out = cli(home, capsys, "reindex", "p")
    assert rc == 0 and "3 backups indexed" in out
    # Indexing a backup older than the index's newest rebuilds it with all of them.
    drop(first_path)
    files_of = files_of_backup(catalogue)
    ix = open_index(first_path)
    feed(ix, "b:3", "third", "2999-01-01T00:00:00Z", files_of(get_backup(catalogue, 3), False))
    ix.close()
    assert index_backup(catalogue, get_backup(catalogue, 1), files_of) is not None
    ix = open_index(first_path)
    assert [x.ref for x in ix.backups()] == ["b:1", "b:2", "b:3"]
    ix.close()
    ix = open_index(first_path)
    after = sorted((r.path, r.first, r.last, r.size, r.mtime_ns, r.hash)
                   for s in (1, 2, 3) for r in ix.held_at(s))
    ix.close()
    assert after == before


def test_a_file_that_becomes_a_folder_or_link_is_gone_from_the_index(
        home: Path, plan: Path, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    src = plan
    run(home, capsys)
    (src / "docs" / "a.txt").unlink()
    (src / "docs" / "a.txt").mkdir()
    (src / "docs" / "a.txt" / "inner").write_text("in\n")
    (src / "pics" / "same.bin").unlink()
    (src / "pics" / "same.bin").symlink_to("../docs")
    second = run(home, capsys)
    assert second["type"] == "incremental"
    ch = job_changes(catalogue, second["id"])
    assert (ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]) == (1, 0, 2, 3)
    _rc, out = cli(home, capsys, "find", "src/docs/a.txt*", "--json")
    assert [(h["path"], h["versions"][-1]["last_backup"]["id"]) for h in lines(out)] == [
        ("src/docs/a.txt", 1), ("src/docs/a.txt/inner", second["backup_id"])]


def test_a_backup_is_indexed_from_the_engines_bytes_not_read_back(
        home: Path, plan: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The job hands the index the manifest the engine wrote: reading it back (from the
    destination, maybe remote or encrypted) is never needed for the backup just made; reindex
    still reads the manifests."""
    import core.run_prep

    def no_read_back(*_a: object, **_k: object) -> None:
        raise AssertionError("manifest read back")

    monkeypatch.setattr(core.run_prep, "read_manifest_bytes", no_read_back)
    first = run(home, capsys)
    (plan / "docs" / "a.txt").write_text("changed\n")
    second = run(home, capsys)
    assert second["type"] == "incremental" and second["warnings"] == []
    ch = job_changes(catalogue, second["id"])
    assert (ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]) == (0, 1, 0, 4)
    monkeypatch.undo()
    ix = open_index(plan_index_path(catalogue, 1))
    try:
        for x in ix.backups():
            want = sorted(manifest_files(read_manifest(get_backup(catalogue, int(x.ref[2:])))))
            assert sorted((r.path, r.size, r.mtime_ns, r.hash) for r in ix.held_at(x.seq)) == want
        assert [x.ref for x in ix.backups()] == [f"b:{first['backup_id']}",
                                                 f"b:{second['backup_id']}"]
    finally:
        ix.close()
    rc, out = cli(home, capsys, "reindex", "p")
    assert rc == 0 and "2 backups indexed" in out


def test_full_backups_index_what_their_manifests_hold(
        home: Path, plan: Path, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile names (quotes, backslashes, non-UTF-8, 255 bytes) across full backups: the index
    holds each backup's files as its manifest lists them, and the change summary counts."""
    (plan / 'q"uo\\te').write_text("q")
    (plan / "naïve µ.txt").write_text("n")
    rc, out = cli(home, capsys, "run", "p", "--full", "--json")
    assert rc == 0, out
    (plan / "docs" / "gone.txt").unlink()
    (plan / "docs" / "a.txt").write_text("changed, longer\n")
    (plan / "pics" / "same.bin").unlink()
    (plan / "pics" / "same.bin").mkdir()  # a file that became a folder is gone
    (plan / "new \\ one").write_text("new")
    rc, out = cli(home, capsys, "run", "p", "--full", "--json")
    assert rc == 0, out
    second = json.loads(out)
    ch = job_changes(catalogue, second["id"])
    assert (ch["added"], ch["changed"], ch["deleted"], ch["unchanged"]) == (1, 1, 2, 4)
    ix = open_index(plan_index_path(catalogue, 1))
    try:
        assert len(ix.backups()) == 2
        for x in ix.backups():
            want = sorted(manifest_files(read_manifest(get_backup(catalogue, int(x.ref[2:])))))
            assert sorted((r.path, r.size, r.mtime_ns, r.hash) for r in ix.held_at(x.seq)) == want
    finally:
        ix.close()


def test_diff_writes_the_same_with_and_without_its_c_part(
        home: Path, plan: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`diff` without --stat is written by the index's C part; where it is not built, the
    Python code writes the same text (a name not UTF-8 and one of 255 bytes among them)."""
    def diff(*args: str) -> str:
        rc, out = cli(home, capsys, "diff", *args)
        assert rc == 0
        return out

    src = plan
    first = run(home, capsys)
    (src / "docs" / "a.txt").write_text("alpha, longer now\n")
    (src / "docs" / "gone.txt").unlink()
    (src / "pics" / "new.bin").write_bytes(b"new")
    os.utime(src / ODD, ns=(0, 2**62))
    second = run(home, capsys)
    pair = [str(first["backup_id"]), str(second["backup_id"])]
    assert store.FAST_DIFF or not REQUIRE_FASTPACK
    by_c: list[int] = []
    write_diff = store.Index.write_diff
    monkeypatch.setattr(store.Index, "write_diff",
                        lambda ix, *args: by_c.append(1) or write_diff(ix, *args))
    outputs = []
    for fast in (store.FAST_DIFF, False):
        monkeypatch.setattr(diff_module, "FAST_DIFF", fast)
        outputs.append([diff(*pair, "--json"), diff(*pair), diff(*reversed(pair)),
                        diff(*pair, "--stat"), diff(*pair, "--json", "--stat")])
    assert len(by_c) == (5 if store.FAST_DIFF else 0)
    assert outputs[0] == outputs[1]
    assert "M src/odd-\\xff\\xfe.bin  3 B -> 3 B, modified " in outputs[0][1]
    assert "+ src/pics/new.bin  3 B\n" in outputs[0][1]
    assert "- src/pics/new.bin  3 B\n" in outputs[0][2]
    assert json.loads(outputs[0][0])["totals"]["changed"] == 2
    assert json.loads(outputs[0][4])["folders"]["src/pics"] == {
        "added": 1, "changed": 0, "deleted": 0, "bytes": 3}
    assert "src/docs " in outputs[0][3] and "FOLDER" in outputs[0][3]
    assert "\nsrc/odd-\\xff\\xfe.bin " in outputs[0][3]  # a name not UTF-8, as \xNN
