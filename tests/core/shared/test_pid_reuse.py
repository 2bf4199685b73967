"""PID reuse: on its own host a job is alive only while its PID is the same process (the start
time recorded at its start), or, for a row without one, while its heartbeat is fresh."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from core.catalogue.jobs import (
    STALE_AFTER,
    get_job,
    plan_lock_key,
    process_start,
    recover_interrupted,
    start_job,
)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _job_of(cat: Any, pid: int, pid_start: int | None, heartbeat_age: timedelta,
            lock_key: str = "plan:1") -> int:
    """A running job as a process `pid` (started at `pid_start`) would have left it."""
    job_id = start_job(cat, engine="archive", kind="backup", plan_name="p", lock_key=lock_key)
    with cat.db.connect() as c:
        beat = c.now() - heartbeat_age
        c.execute("UPDATE jobs SET pid = ?, pid_start = ?, heartbeat_at = ? WHERE id = ?",
                  [pid, pid_start, beat, job_id])
    return job_id


def test_start_records_the_process_start_time(catalogue: Any) -> None:
    import os

    job_id = start_job(catalogue, engine="archive", kind="backup", plan_name="p")
    job = get_job(catalogue, job_id)
    assert job is not None and job.pid == os.getpid()
    assert job.pid_start is not None and job.pid_start == process_start(os.getpid())


def test_reused_pid_is_not_the_jobs_process(catalogue: Any,
                                            other_process: subprocess.Popen[bytes]) -> None:
    started = process_start(other_process.pid)
    assert started is not None
    reused = _job_of(catalogue, other_process.pid, started - 1, timedelta(seconds=0))
    assert recover_interrupted(catalogue) == [reused]
    job = get_job(catalogue, reused)
    assert job is not None and job.status == "interrupted" and job.lock_key is None
    assert f"process {other_process.pid}" in (job.error or "")


def test_same_process_is_alive_even_with_an_old_heartbeat(
        catalogue: Any, other_process: subprocess.Popen[bytes]) -> None:
    started = process_start(other_process.pid)
    live = _job_of(catalogue, other_process.pid, started, STALE_AFTER * 2)
    assert recover_interrupted(catalogue) == []
    job = get_job(catalogue, live)
    assert job is not None and job.status == "running"


def test_row_without_start_time_goes_by_its_heartbeat(
        catalogue: Any, other_process: subprocess.Popen[bytes]) -> None:
    fresh = _job_of(catalogue, other_process.pid, None, timedelta(seconds=2), "plan:1")
    stale = _job_of(catalogue, other_process.pid, None, STALE_AFTER * 2, "plan:2")
    assert recover_interrupted(catalogue) == [stale]
    job = get_job(catalogue, fresh)
    assert job is not None and job.status == "running"


def test_plan_blocked_by_a_reused_pid_runs(catalogue: Any,
                                           other_process: subprocess.Popen[bytes]) -> None:
    started = process_start(other_process.pid)
    assert started is not None
    old = _job_of(catalogue, other_process.pid, started + 7, timedelta(0), plan_lock_key(9))
    new = start_job(catalogue, engine="archive", kind="backup", plan_name="p",
                    lock_key=plan_lock_key(9))
    assert new != old
    job = get_job(catalogue, old)
    assert job is not None and job.status == "interrupted"
