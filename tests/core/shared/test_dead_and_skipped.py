"""Dead jobs elsewhere and skipped runs, on a real PostgreSQL catalogue: the scheduler's loop
recovers a dead host's job without anyone reopening the catalogue, and a scheduled run skipped
because its plan is busy is a history row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.catalogue import open_catalogue
from core.catalogue.history import history_page
from core.catalogue.jobs import STALE_AFTER, get_job, plan_lock_key, start_job
from core.config import AppPaths
from core.plans import add_plan
from core.scheduling import due_jobs
from core.scheduling.loop import Due, Scheduler
from tests.core.shared.workstations import Workstation

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def pg_cat(pg_catalogue_url: str) -> Iterator[Any]:
    cat = open_catalogue(pg_catalogue_url)
    yield cat
    cat.dispose()


def _job_of_host(cat: Any, host: str, plan: Any, silent_for: timedelta) -> int:
    """A running job holding `plan`'s lock, as a process on `host` left it."""
    job_id = start_job(cat, engine="archive", kind="backup", plan_id=plan.id,
                       plan_name=plan.name, lock_key=plan_lock_key(plan.id))
    with cat.db.connect() as c:
        c.execute("UPDATE jobs SET host = ?, pid = 4242, heartbeat_at = ?, started_at = ?"
                  " WHERE id = ?", [host, c.now() - silent_for, c.now() - silent_for, job_id])
    return job_id


def _plan(cat: Any, tmp_path: Path) -> Any:
    return add_plan(cat, "p", "archive", sources=[str(tmp_path)],
                    destinations=[str(tmp_path.parent / f"{tmp_path.name}-d")])


def test_scheduler_loop_recovers_a_dead_hosts_job(pg_cat: Any, tmp_path: Path) -> None:
    plan = _plan(pg_cat, tmp_path)
    dead = _job_of_host(pg_cat, "wsDead", plan, STALE_AFTER + timedelta(minutes=1))

    class Clock:
        def now(self) -> datetime:
            return T0

        def sleep(self, seconds: float, wake: Any) -> None:
            pass

    Scheduler(pg_cat, lambda due: None, clock=Clock()).tick()
    job = get_job(pg_cat, dead)
    assert job is not None and job.status == "interrupted" and job.lock_key is None
    assert "no sign of life from wsDead" in (job.error or "")


def test_busy_plan_makes_a_skipped_history_row(pg_cat: Any, pg_catalogue_url: str,
                                               tmp_path: Path) -> None:
    plan = _plan(pg_cat, tmp_path)
    holder = _job_of_host(pg_cat, "wsA", plan, timedelta(seconds=1))
    due = Due(1, plan.id, plan.name, "backup", T0, T0, False)
    done = due_jobs.execute(pg_cat, AppPaths.resolve(str(tmp_path / "home")), due)
    assert done.status == "skipped" and done.job_id is not None and done.job_id != holder
    row = get_job(pg_cat, done.job_id)
    assert row is not None and row.status == "skipped" and row.trigger == "scheduled"
    assert row.finished_at is not None and row.lock_key is None
    assert (row.error or "").startswith("skipped: plan busy on wsA since ")
    assert row.error.endswith(f"(job {holder})")
    assert [r.id for r in history_page(pg_cat)] == [done.job_id, holder]
    shown = Workstation("wsB", tmp_path / "homeB", pg_catalogue_url).run(
        "history", "--status", "skipped", "--json")
    assert shown.returncode == 0, shown.stderr
    assert [(r["id"], r["status"]) for r in json.loads(shown.stdout)] == [(done.job_id,
                                                                           "skipped")]
