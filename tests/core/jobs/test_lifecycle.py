"""The one job lifecycle (core.jobs.lifecycle) against a real catalogue."""

from __future__ import annotations

import threading
import time

import pytest

from core.catalogue.history import job_detail, job_rows
from core.catalogue.models import JobStatus
from core.errors import CancelledError, ConfigError, DestinationError, LockedError
from core.jobs.lifecycle import (
    Job,
    JobEvent,
    add_finisher,
    add_guard,
    add_listener,
    job,
    remove_finisher,
    remove_guard,
    remove_listener,
)
from core.progress import CancelToken, Progress


def _row(cat, job_id):  # type: ignore[no-untyped-def]
    return job_rows(cat, [job_id])[0]


def test_a_job_ends_with_what_its_body_says(any_catalogue) -> None:  # type: ignore[no-untyped-def]
    with job(any_catalogue, kind="backup", engine="archive", plan_name="p") as j:
        j.log("first line\nsecond line")
        j.end.status, j.end.bytes, j.end.files = JobStatus.PARTIAL, 10, 2
        j.end.error, j.end.details = "1 problem: x", {"backup_id": 7}
    row = _row(any_catalogue, j.id)
    assert (row.status, row.bytes, row.files, row.error) == ("partial", 10, 2, "1 problem: x")
    detail = job_detail(any_catalogue, j.id)
    assert "first line" in detail.log and "Finished: partial." in detail.log
    assert detail.details["backup_id"] == 7


@pytest.mark.parametrize("exc, status, kind", [
    (CancelledError("stopped by you"), "cancelled", "cancelled"),
    (DestinationError("the disk is full"), "failed", "destination"),
    (KeyError("x"), "failed", "internal"),
])
def test_an_exception_finishes_the_job_with_its_kind_and_is_raised_again(
        catalogue, exc, status, kind) -> None:  # type: ignore[no-untyped-def]
    ids = []
    with pytest.raises(type(exc)), job(catalogue, kind="verify", engine="archive",
                                       lock_key="plan:1") as j:
        ids.append(j.id)
        raise exc
    row = _row(catalogue, ids[0])
    assert row.status == status
    assert job_detail(catalogue, ids[0]).details["error_kind"] == kind
    # the lock is free again
    with job(catalogue, kind="verify", engine="archive", lock_key="plan:1"):
        pass


def test_a_held_lock_starts_no_job(catalogue) -> None:  # type: ignore[no-untyped-def]
    second = job(catalogue, kind="prune", engine="archive", plan_name="p", lock_key="plan:9")
    with job(catalogue, kind="backup", engine="archive", plan_name="p",
             lock_key="plan:9") as j, pytest.raises(LockedError, match="already running"), second:
        pass
    assert [r.id for r in job_rows(catalogue, [j.id, j.id + 1])] == [j.id]


def test_the_heartbeat_carries_progress_and_the_log_while_the_job_runs(catalogue) -> None:  # type: ignore[no-untyped-def]
    seen: list[Progress] = []
    with job(catalogue, kind="restore", engine="archive", progress=seen.append) as j:
        j.log("started the long part")
        j.progress(Progress("reading", bytes_done=4096, files_done=3))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = _row(catalogue, j.id)
            if row.bytes == 4096 and "long part" in job_detail(catalogue, j.id).log:
                break
            time.sleep(0.1)
        else:
            pytest.fail("no heartbeat wrote the job's progress and log")
        assert row.status == "running" and row.files == 3
    assert seen and seen[0].bytes_done == 4096


def test_listeners_hear_start_and_finish_once(catalogue) -> None:  # type: ignore[no-untyped-def]
    heard: list[JobEvent] = []

    def broken(_: JobEvent) -> None:
        raise RuntimeError("a listener's own bug")

    add_listener(broken)
    add_listener(heard.append)
    try:
        token = CancelToken()
        with pytest.raises(CancelledError), job(catalogue, kind="backup", engine="borg",
                                                plan_name="lab", cancel=token) as j:
            token.cancel()
            j.cancel.raise_if_cancelled()
    finally:
        remove_listener(broken)
        remove_listener(heard.append)
    assert [(e.event, e.status) for e in heard] == [("started", "running"),
                                                    ("finished", "cancelled")]
    assert heard[1].error_kind == "cancelled" and heard[1].plan_name == "lab"


def test_jobs_run_side_by_side_in_threads(catalogue) -> None:  # type: ignore[no-untyped-def]
    ids: list[int] = []

    def one(n: int) -> None:
        with job(catalogue, kind="verify", engine="archive", lock_key=f"plan:{n}") as j:
            j.log(f"job {n}")
            ids.append(j.id)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in job_rows(catalogue, ids)) == ["success"] * 4


def test_a_guard_that_raises_fails_the_job_before_its_body(catalogue) -> None:  # type: ignore[no-untyped-def]
    ran: list[int] = []
    guarded: list[int] = []

    def before(j: Job) -> None:
        guarded.append(j.id)
        j.log("hook said no")
        raise ConfigError("before hook exited 1")

    add_guard(before)
    try:
        with pytest.raises(ConfigError), job(catalogue, kind="backup", engine="archive",
                                             plan_name="p") as j:
            ran.append(j.id)
    finally:
        remove_guard(before)
    assert ran == []
    detail = job_detail(catalogue, guarded[0])
    assert detail is not None
    assert detail.row.status == "failed" and "hook said no" in detail.log
    assert detail.details["error_kind"] == "config"


def test_finishers_add_to_the_end_and_one_that_raises_changes_nothing(catalogue) -> None:  # type: ignore[no-untyped-def]
    def warn(j: Job) -> None:
        j.end.details["warnings"] = [{"kind": "anomaly", "text": "small"}]

    def broken(_: Job) -> None:
        raise RuntimeError("a finisher's own bug")

    add_finisher(broken)
    add_finisher(warn)
    try:
        with job(catalogue, kind="backup", engine="archive", plan_name="p") as j:
            j.end.status = JobStatus.PARTIAL
    finally:
        remove_finisher(broken)
        remove_finisher(warn)
    row = _row(catalogue, j.id)
    assert row.status == "partial"
    detail = job_detail(catalogue, j.id)
    assert detail is not None and detail.details["warnings"][0]["text"] == "small"
