"""core.findex.browse and summary: what the window asks of the index, on real archive backups."""

from __future__ import annotations

import pytest

from core.config import AppPaths
from core.errors import UsageError
from core.findex.browse import restore_version, search
from core.findex.find import name_pattern
from core.findex.summary import change_lines
from core.jobs.run import run_plan
from core.plans import add_plan


@pytest.fixture
def plan_with_files(catalogue, home, tmp_path):
    src = tmp_path / "Src"
    src.mkdir()
    for i in range(7):
        (src / f"Note-{i}.txt").write_text(f"note {i}\n")
    (src / "other.bin").write_bytes(b"x")
    add_plan(catalogue, "p", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "dest")], options={"verify_after": False})
    out = run_plan(catalogue, AppPaths.resolve(str(home)), "p")
    assert out.status == "success"
    return src


def test_a_bare_word_finds_names_in_any_case_in_batches(catalogue, plan_with_files):
    batches = list(search(catalogue, None, "note", batch=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(h.path for b in batches for h in b) == [
        f"Src/Note-{i}.txt".encode() for i in range(7)]
    # a glob stays find's, case-sensitive
    assert list(search(catalogue, "p", "note-*")) == []
    assert [h.path for b in search(catalogue, "p", "*.bin") for h in b] == [b"Src/other.bin"]


def test_an_empty_search_is_refused(catalogue, plan_with_files):
    with pytest.raises(UsageError, match="Type part of a file name"):
        list(search(catalogue, None, "  "))


def test_a_bare_word_is_any_case_and_a_glob_stays_as_typed():
    assert name_pattern("a-1.É") == "*[aA]-1.É*"
    assert name_pattern("*.PDF") == "*.PDF" and name_pattern("docs/a") == "docs/a"


def test_restore_version_restores_through_a_job(catalogue, plan_with_files, tmp_path):
    to = tmp_path / "out"
    r = restore_version(catalogue, "p", b"Src/Note-3.txt", 1, to)
    assert (to / "Src" / "Note-3.txt").read_text() == "note 3\n"
    assert r.result.job_id and "version 1 of 1 of Src/Note-3.txt" in r.sentence()
    with pytest.raises(UsageError, match="not empty"):  # never over files without consent
        restore_version(catalogue, "p", b"Src/Note-4.txt", 1, to)


def test_change_lines_name_the_biggest_folders_first():
    lines = change_lines({"added": 2, "changed": 1, "deleted": 0, "unchanged": 5,
                          "bytes_by_folder": {"a": 10, "b": -5000, "c": 300}}, top=2)
    assert lines == ["2 files added, 1 changed, 0 deleted, 5 unchanged",
                     "b: -4.9 KiB", "c: +300 B", "and 1 other folder"]
    assert change_lines(None) == []
