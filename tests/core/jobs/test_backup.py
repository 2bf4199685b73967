"""The backup job: job life, destinations, chains, verify after, failure modes; real files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.backups import BackupFilter, get_backup, list_backups
from core.catalogue.jobs import plan_lock_key, start_job
from core.catalogue.schema import Job
from core.config import AppPaths
from core.destinations import MARKER
from core.errors import LockedError
from core.jobs.run import run_plan
from core.plans import add_plan
from core.progress import CancelToken, Progress
from tests.core.archive.conftest import snapshot
from tests.core.helpers import orm_session


def jobs(cat: Any) -> list[Job]:
    with orm_session(cat) as s:
        return list(s.scalars(select(Job).order_by(Job.id)))


def no_running(cat: Any) -> None:
    assert all(j.status != "running" and j.lock_key is None for j in jobs(cat))


def staged(*roots: Path) -> list[Path]:
    return [p for r in roots if r.exists() for p in r.rglob("*")
            if p.name.startswith((".staging-", ".partial-", ".bdtmp-"))]


@pytest.fixture
def paths(home: Path) -> AppPaths:
    return AppPaths.resolve(str(home))


def test_full_then_incremental_to_two_destinations(catalogue: Any, paths: AppPaths,
                                                   tree: Path, tmp_path: Path) -> None:
    d1, d2 = tmp_path / "d1", tmp_path / "d 2"
    add_plan(catalogue, "docs plan", "archive", sources=[str(tree)],
             destinations=[str(d1), str(d2)], options={"full_every": 3})
    seen: list[str] = []
    out = run_plan(catalogue, paths, "docs plan", progress=lambda p: seen.append(p.phase))
    assert (out.status, out.type, out.exit_code) == ("success", "full", 0)
    assert {"scanning", "archiving", "copying", "verifying"} <= set(seen)
    b = get_backup(catalogue, out.backup_id)
    assert [loc.state for loc in b.locations] == ["ok", "ok"]
    assert b.sha256 and b.size and b.type == "full" and b.parent_id is None
    for loc in b.locations:
        assert sorted(os.listdir(loc.path)) == ["files.tar.zst", "manifest.json"]
    (tree / "added.txt").write_text("added")
    out2 = run_plan(catalogue, paths, "docs plan")
    b2 = get_backup(catalogue, out2.backup_id)
    assert (b2.type, b2.parent_id, b2.files) == ("incremental", b.id, 1)
    out3 = run_plan(catalogue, paths, "docs plan")
    out4 = run_plan(catalogue, paths, "docs plan")  # full_every=3: a new chain
    assert get_backup(catalogue, out3.backup_id).type == "incremental"
    assert get_backup(catalogue, out4.backup_id).type == "full"
    forced = run_plan(catalogue, paths, "docs plan", mode="full")
    assert forced.type == "full"
    job = jobs(catalogue)[0]
    assert job.status == "success" and job.bytes == b.size and job.files == b.files
    no_running(catalogue)
    assert staged(d1, d2) == []


def test_second_start_is_refused(catalogue: Any, paths: AppPaths, tree: Path,
                                 tmp_path: Path) -> None:
    plan = add_plan(catalogue, "p", "archive", sources=[str(tree)],
                    destinations=[str(tmp_path / "d")])
    start_job(catalogue, engine="archive", kind="backup", plan_id=plan.id, plan_name="p",
              lock_key=plan_lock_key(plan.id))
    with pytest.raises(LockedError, match="already running"):
        run_plan(catalogue, paths, "p")
    assert len(jobs(catalogue)) == 1


def test_bad_destination_does_not_block_the_healthy_one(catalogue: Any, paths: AppPaths,
                                                         tree: Path, tmp_path: Path) -> None:
    bad = tmp_path / "a file"
    add_plan(catalogue, "p", "archive", sources=[str(tree)],
             destinations=[str(bad), str(tmp_path / "ok")])
    shutil.rmtree(bad)
    bad.write_text("x")
    out = run_plan(catalogue, paths, "p")
    assert out.status == "partial" and out.exit_code == 3
    assert out.error and "is not a folder" in out.error and str(bad) in out.error
    assert len(list((tmp_path / "ok" / "p").iterdir())) == 1
    add_plan(catalogue, "only-bad", "archive", sources=[str(tree)],
             destinations=[str(tmp_path / "b2")])
    shutil.rmtree(tmp_path / "b2")
    (tmp_path / "b2").write_text("x")
    out = run_plan(catalogue, paths, "only-bad")
    assert out.status == "failed" and out.error and "is not a folder" in out.error
    no_running(catalogue)


def test_destination_gone_mid_run_is_partial(catalogue: Any, paths: AppPaths, tree: Path,
                                             tmp_path: Path) -> None:
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d2.mkdir()
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(d1), str(d2)])

    def pull_the_disk(p: Progress) -> None:
        if p.phase == "archiving" and d2.is_dir():
            shutil.rmtree(d2)
            d2.write_text("not a folder any more")

    out = run_plan(catalogue, paths, "p", progress=pull_the_disk)
    assert (out.status, out.exit_code) == ("partial", 3)
    b = get_backup(catalogue, out.backup_id)
    assert [loc.state for loc in b.locations] == ["ok", "failed"]
    assert "d2" in (out.error or "")
    no_running(catalogue)
    assert staged(d1) == []


def test_primary_destination_gone_fails_cleanly(catalogue: Any, paths: AppPaths, tree: Path,
                                                tmp_path: Path) -> None:
    d1 = tmp_path / "d1"
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(d1)])

    def pull(p: Progress) -> None:
        if p.phase == "archiving" and d1.exists():
            shutil.rmtree(d1)

    out = run_plan(catalogue, paths, "p", progress=pull)
    assert out.status == "failed" and out.error
    assert list_backups(catalogue) == []
    no_running(catalogue)


def test_cancel_ends_cancelled_without_files(catalogue: Any, paths: AppPaths, tree: Path,
                                             tmp_path: Path) -> None:
    d1 = tmp_path / "d1"
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(d1)])
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.phase == "archiving":
            token.cancel()

    out = run_plan(catalogue, paths, "p", progress=progress, cancel=token)
    assert out.status == "cancelled" and out.exit_code == 1
    assert [p for p in d1.rglob("*") if p.is_file() and p.name != MARKER] == []
    assert list_backups(catalogue) == []
    no_running(catalogue)


def test_engine_bug_never_leaves_a_running_job(catalogue: Any, paths: AppPaths, tree: Path,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from core.engines.archive import ArchiveEngine

    def boom(*_: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ArchiveEngine, "run", boom)
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(tmp_path / "d")])
    with pytest.raises(RuntimeError):
        run_plan(catalogue, paths, "p")
    (job,) = jobs(catalogue)
    assert job.status == "failed" and "RuntimeError" in (job.error or "")
    no_running(catalogue)
    assert staged(tmp_path / "d") == []


def test_disk_full_fails_cleanly(catalogue: Any, paths: AppPaths, tree: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from core.engines.archive import tarstream

    def full(self: Any, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarstream.HashingSink, "write", full)
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(tmp_path / "d")])
    out = run_plan(catalogue, paths, "p")
    assert out.status == "failed" and "No space left" in (out.error or "")
    assert [p for p in (tmp_path / "d").rglob("*") if p.is_file() and p.name != MARKER] == []
    no_running(catalogue)


def test_incremental_request_without_full_makes_a_full(catalogue: Any, paths: AppPaths,
                                                       tree: Path, tmp_path: Path) -> None:
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(tmp_path / "d")])
    out = run_plan(catalogue, paths, "p", mode="incremental")
    assert out.type == "full" and out.status == "success"
    (job,) = jobs(catalogue)
    with orm_session(catalogue) as s:
        from core.catalogue.schema import JobLog

        log = s.get(JobLog, job.id).text
    assert "No earlier backup" in log


def test_damaged_previous_manifest_falls_back_to_full(catalogue: Any, paths: AppPaths,
                                                      tree: Path, tmp_path: Path) -> None:
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(tmp_path / "d")],
             options={"verify_after": False})
    first = run_plan(catalogue, paths, "p")
    b = get_backup(catalogue, first.backup_id)
    (Path(b.locations[0].path) / "manifest.json").write_text("{}")
    second = run_plan(catalogue, paths, "p")
    assert second.type == "full"


def test_restore_chain_via_catalogue(catalogue: Any, paths: AppPaths, tree: Path,
                                     tmp_path: Path) -> None:
    from core.jobs.restore import restore_backup

    add_plan(catalogue, "p", "archive", sources=[str(tree)],
             destinations=[str(tmp_path / "d1"), str(tmp_path / "d2")])
    run_plan(catalogue, paths, "p")
    (tree / "docs" / "private").write_text("v2\n")
    (tree / "big.bin").unlink()
    snap = snapshot(tree)
    out = run_plan(catalogue, paths, "p")
    # The first destination loses the full: restore reads it from the second.
    full = list_backups(catalogue, BackupFilter(types=("full",)))[0]
    shutil.rmtree(full.locations[0].path)
    res = restore_backup(catalogue, out.backup_id, to=tmp_path / "r")
    assert snapshot(tmp_path / "r" / tree.name) == snap
    assert res.files > 0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Any:
    """A real 4 MiB file system (tmpfs), if this process may mount one."""
    from tests.fixtures.tmpfs import small_tmpfs

    with small_tmpfs(tmp_path / "tiny", "4m") as mnt:
        yield mnt


def test_real_disk_full(catalogue: Any, paths: AppPaths, tree: Path, tmp_path: Path,
                        tiny_disk: Path) -> None:
    add_plan(catalogue, "alone", "archive", sources=[str(tree)], destinations=[str(tiny_disk)])
    out = run_plan(catalogue, paths, "alone")
    assert out.status == "failed" and "No space left" in (out.error or "")
    assert [p for p in tiny_disk.rglob("*") if p.is_file() and p.name != MARKER] == []
    add_plan(catalogue, "two", "archive", sources=[str(tree)],
             destinations=[str(tmp_path / "big"), str(tiny_disk)])
    out = run_plan(catalogue, paths, "two")
    assert out.status == "partial" and out.exit_code == 3
    assert "No space left" in (out.error or "")
    assert [p for p in tiny_disk.rglob("*") if p.is_file() and p.name != MARKER] == []
    b = get_backup(catalogue, out.backup_id)
    assert [loc.state for loc in b.locations] == ["ok", "failed"]
    # The small disk first: it fills while the backup is written there, so it goes to the next.
    add_plan(catalogue, "small-first", "archive", sources=[str(tree)],
             destinations=[str(tiny_disk), str(tmp_path / "big2")])
    first = run_plan(catalogue, paths, "small-first")
    assert first.status == "partial" and "No space left" in (first.error or "")
    assert len(list((tmp_path / "big2" / "small-first").iterdir())) == 1
    assert [p for p in tiny_disk.rglob("*") if p.is_file() and p.name != MARKER] == []
    # Now the plan's size is known: the full disk is skipped up front, the healthy one written.
    again = run_plan(catalogue, paths, "two", mode="full")
    assert again.status == "partial" and "bytes free" in (again.error or "")
    assert again.backup_id is not None
    assert len(list((tmp_path / "big" / "two").iterdir())) == 2
    no_running(catalogue)


def test_heartbeat_while_running(catalogue: Any, paths: AppPaths, tree: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from datetime import timedelta

    from core.engines.archive import ArchiveEngine
    from core.jobs import lifecycle

    beats: list[dict[str, Any]] = []
    seen = threading.Event()
    real_heartbeat, real_run = lifecycle.heartbeat, ArchiveEngine.run

    def spy(cat: Any, job_id: int, **fields: Any) -> None:
        real_heartbeat(cat, job_id, **fields)
        beats.append(fields)
        if fields == {"bytes": 5, "files": 1, "phase": "archiving"}:
            seen.set()

    def slow_run(self: Any, req: Any, progress: Any, cancel: Any) -> Any:
        progress(Progress("archiving", bytes_done=5, files_done=1))
        assert seen.wait(30), "no heartbeat"
        return real_run(self, req, progress, cancel)

    monkeypatch.setattr(lifecycle, "HEARTBEAT_EVERY", timedelta(milliseconds=10))
    monkeypatch.setattr(lifecycle, "heartbeat", spy)
    monkeypatch.setattr(ArchiveEngine, "run", slow_run)
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(tmp_path / "d")])
    assert run_plan(catalogue, paths, "p").status == "success"
    assert {"bytes": 5, "files": 1, "phase": "archiving"} in beats  # the phase too (#16)


def test_cancel_while_copying_leaves_nothing_anywhere(catalogue: Any, paths: AppPaths,
                                                      tree: Path, tmp_path: Path) -> None:
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    add_plan(catalogue, "p", "archive", sources=[str(tree)], destinations=[str(d1), str(d2)])
    token = CancelToken()

    def progress(p: Progress) -> None:
        if p.phase == "copying":
            token.cancel()

    out = run_plan(catalogue, paths, "p", progress=progress, cancel=token)
    assert out.status == "cancelled"
    assert [p for p in d1.rglob("*") if p.is_file() and p.name != MARKER] == []
    assert [p for p in d2.rglob("*") if p.is_file() and p.name != MARKER] == []
    assert list_backups(catalogue) == []
    no_running(catalogue)
