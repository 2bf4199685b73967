"""Every job kind goes through the one lifecycle: long verify and prune jobs keep a heartbeat,
a prune that could not remove records its error kind, and jobs go to an engine by what it
declares (capabilities, storage), never by its name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from core.backups import get_backup, list_backups
from core.catalogue.history import history_page, job_detail, job_rows
from core.catalogue.rows import HistoryFilter, HistoryRow
from core.config import AppPaths
from core.engines import Capability, EngineSpec, Storage
from core.engines.schema import Schema
from core.engines.specs import KEEP
from core.errors import ConfigError
from core.jobs import repository, repository_run
from core.jobs.outcome import RunOutcome
from core.jobs.prune import prune_plan
from core.jobs.run import run_plan
from core.jobs.verify import verify_backups
from core.plans import add_plan, get_plan, update_plan
from core.progress import Progress
from tests.core.helpers import random_backup
from tests.core.jobs.helpers import plan_of_engine


def wait_for_a_heartbeat(cat: Any, kind: str) -> HistoryRow:
    """The running job of `kind`, once its heartbeat has moved past its start."""
    (row,) = history_page(cat, HistoryFilter(kinds=(kind,), statuses=("running",)))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = job_rows(cat, [row.id])[0]
        assert row.status == "running"
        if row.heartbeat_at and row.started_at and row.heartbeat_at > row.started_at:
            return row
        time.sleep(0.05)
    pytest.fail(f"job {row.id} kept no heartbeat while it ran")


def test_a_long_verify_keeps_its_heartbeat(catalogue: Any, home: Path, tmp_path: Path) -> None:
    backup_id = random_backup(catalogue, home, tmp_path / "src", "big", files=4, size=16 << 20)
    rows: list[HistoryRow] = []

    def slow_listener(p: Progress) -> None:
        # A window that shows the progress: the first report waits (bounded) until the job's
        # heartbeat has been written; the hashing goes on meanwhile.
        if not rows:
            rows.append(wait_for_a_heartbeat(catalogue, "verify"))

    report = verify_backups(catalogue, [backup_id], trigger="manual", progress=slow_listener)
    assert report.all_ok
    assert report.bytes == sum(a.size for a in get_backup(catalogue, backup_id).artifacts)
    assert rows and rows[0].bytes is not None  # the heartbeat carried the progress
    done = job_rows(catalogue, [rows[0].id])[0]
    assert (done.status, done.bytes) == ("success", report.bytes)
    assert get_backup(catalogue, backup_id).locations[0].state == "ok"


def _three_backups_then_keep_last(cat: Any, home: Path, tmp_path: Path) -> AppPaths:
    src = tmp_path / "src"
    src.mkdir()
    paths = AppPaths.resolve(str(home))
    add_plan(cat, "docs", "archive", sources=[str(src)], destinations=[str(tmp_path / "d1"),
                                                                       str(tmp_path / "d2")],
             options={"full_every": 1})
    for i in range(3):
        (src / f"f{i}.txt").write_text(str(i))
        assert run_plan(cat, paths, "docs").status == "success"
    plan = get_plan(cat, "docs")
    update_plan(cat, "docs", sources=list(plan.sources),
                destinations=[d.location for d in plan.destinations],
                options={**plan.options, "keep": {"last": 1}})
    return paths


def test_a_prune_keeps_its_heartbeat_and_its_plan_lock(catalogue: Any, home: Path,
                                                      tmp_path: Path) -> None:
    paths = _three_backups_then_keep_last(catalogue, home, tmp_path)
    rows: list[HistoryRow] = []

    def slow_listener(p: Progress) -> None:
        if not rows:
            rows.append(wait_for_a_heartbeat(catalogue, "prune"))

    r = prune_plan(catalogue, paths, "docs", progress=slow_listener)
    assert rows and rows[0].id == r.job_id
    assert sorted(r.removed) == [1, 2] and not r.errors
    assert [b.id for b in list_backups(catalogue)] == [3]
    row = job_rows(catalogue, [r.job_id])[0]
    assert row.status == "success"
    # the lock was held while it ran, and is free again
    assert run_plan(catalogue, paths, "docs").status == "success"


def test_a_prune_that_could_not_remove_records_its_error_kind(catalogue: Any, home: Path,
                                                             tmp_path: Path) -> None:
    import shutil

    paths = _three_backups_then_keep_last(catalogue, home, tmp_path)
    shutil.rmtree(tmp_path / "d2")  # the second disk is unplugged
    r = prune_plan(catalogue, paths, "docs")
    assert r.removed == [] and "not mounted" in r.errors[0]
    assert r.error_kind == "destination"
    row = job_rows(catalogue, [r.job_id])[0]
    assert (row.status, row.error) == ("partial", r.errors[0])
    assert job_detail(catalogue, r.job_id).details["error_kind"] == "destination"
    assert len(list_backups(catalogue)) == 3


# An engine that keeps its own repository (no real one: only the dispatch is checked).
VAULT = EngineSpec(name="vault", title="Vault", storage=Storage.REPOSITORY, options=Schema((KEEP,)),
                   capabilities=frozenset({Capability.RUN, Capability.PRUNE, Capability.VERIFY}))


def test_jobs_go_to_the_repository_door_by_storage(catalogue: Any, home: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the dispatch is checked: the repository door's functions are replaced by recorders.
    calls: list[tuple[str, Any]] = []

    def run(cat: Any, paths: Any, plan: Any, **kw: Any) -> RunOutcome:
        calls.append(("run_plan", plan.name))
        return RunOutcome(0, "success")

    def prune(cat: Any, paths: Any, plan: Any, **kw: Any) -> list[str]:
        calls.append(("prune", plan.name))
        return []

    monkeypatch.setattr(repository_run, "run_plan", run)  # a run starts the engine first
    monkeypatch.setattr(repository, "prune", prune)
    plan_of_engine(catalogue, monkeypatch, tmp_path, VAULT, "v", {"keep": {"last": 1}})
    paths = AppPaths.resolve(str(home))
    assert run_plan(catalogue, paths, "v").status == "success"
    r = prune_plan(catalogue, paths, "v")
    assert calls == [("run_plan", "v"), ("prune", "v")]
    assert r.engine == "vault" and r.job_id is None  # no artifact prune job of its own


def test_what_an_engine_cannot_do_is_refused_by_its_capabilities(
        catalogue: Any, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tape = EngineSpec(name="tape", title="Tape", storage=Storage.ARTIFACTS,
                      capabilities=frozenset({Capability.VERIFY}))
    plan_of_engine(catalogue, monkeypatch, tmp_path, tape, "t")
    paths = AppPaths.resolve(str(home))
    with pytest.raises(ConfigError, match="Plans of the tape engine cannot be pruned"):
        prune_plan(catalogue, paths, "t")
    with pytest.raises(ConfigError, match="Plans of the tape engine cannot be run"):
        run_plan(catalogue, paths, "t")
    assert job_rows(catalogue, [1]) == []
