"""A borg plan's run starts borg as early as it may, and no earlier: a held lock or a failing
"before" hook stops the run before borg creates anything, and a borg that fails still finishes
the job failed with its error kind. Real borg, traced by a wrapper that logs each call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.catalogue.history import job_detail, job_rows
from core.catalogue.plans import get_plan
from core.cli.main import main
from core.config import AppPaths
from core.jobs.lifecycle import job
from core.jobs.repo_session import open_repository
from tests.core.borg.conftest import needs_borg
from tests.core.jobs.repository.test_flows import add_plan, backups, jobs

pytestmark = [pytest.mark.borg, needs_borg]


@pytest.fixture
def borg_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every borg call of the test's plans is written to the returned file, then run."""
    log = tmp_path / "borg-calls.log"
    wrapper = tmp_path / "borg-traced"
    wrapper.write_text(f"#!/bin/sh\necho \"$1\" >> '{log}'\nexec '{shutil.which('borg')}' "
                       "\"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("BACKUPDESK_BORG", str(wrapper))
    return log


def creates(log: Path) -> int:
    return log.read_text().split().count("create") if log.exists() else 0


def run(home: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    rc = main(["--home", str(home), "run", "docs", "--json"])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip() else {}


def test_a_failing_before_hook_stops_the_run_before_borg_starts(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path, borg_calls: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    add_plan(home, tmp_path / "repo", source_tree, monkeypatch, "--init",
             "--before", "exit 3")
    rc, _ = run(home, capsys)
    assert rc != 0
    assert creates(borg_calls) == 0 and backups(catalogue) == []
    last = jobs(catalogue)[-1]
    assert last.kind == "backup" and last.status == "failed"
    assert job_detail(catalogue, last.id).details["error_kind"] == "hook"


def test_a_held_lock_starts_neither_a_job_nor_borg(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path, borg_calls: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    add_plan(home, tmp_path / "repo", source_tree, monkeypatch, "--init")
    plan = get_plan(catalogue, "docs")
    key = open_repository(plan, AppPaths.resolve(str(home)), with_secret=False).repo.lock_key
    before = len(jobs(catalogue))
    with job(catalogue, kind="prune", engine="borg", plan=plan, lock_key=key) as held:
        assert main(["--home", str(home), "run", "docs"]) != 0
    assert "already running" in capsys.readouterr().err
    assert creates(borg_calls) == 0 and backups(catalogue) == []
    assert [j.id for j in jobs(catalogue)][before:] == [held.id]  # no job of the run


def test_a_failing_borg_create_finishes_the_job_failed_with_its_kind(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path, borg_calls: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    add_plan(home, repo, source_tree, monkeypatch, "--init")
    shutil.rmtree(repo)  # borg create now fails: no repository there
    rc, out = run(home, capsys)
    assert rc != 0 and out["status"] == "failed"
    assert creates(borg_calls) == 1 and backups(catalogue) == []
    row = job_rows(catalogue, [out["id"]])[0]
    assert row.status == "failed" and row.error and str(repo) in row.error
    assert job_detail(catalogue, out["id"]).details["error_kind"] == "engine"
    assert [j.status for j in jobs(catalogue)].count("running") == 0
