"""A repository plan's run: the job starts, the engine's create starts, and only then is the
rest of the run loaded and prepared (core.jobs.repository_plan: the index feed, the records,
prune, compact, refresh) while the engine works on the other core.

This module imports only what must come before the engine starts: the plan, the job (its lock,
its row, its guards: a failing "before" hook stops the run before the engine starts), the
repository with its secret.
"""

from __future__ import annotations

import time
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobTrigger
from core.catalogue.models import Plan
from core.config import AppPaths
from core.errors import BackupDeskError, ConfigError
from core.jobs.outcome import RunOutcome
from core.jobs.repo_session import RepoJob, repo_job, repository_plan
from core.progress import CancelToken, ProgressCallback, no_progress
from core.timeutil import utcnow


def run_plan(cat: Catalogue, paths: AppPaths, plan: str | Plan, *,
             trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
             secrets: Any = None) -> RunOutcome:
    """Create an archive, then prune and compact if the plan says so, then refresh. A failed
    run is an outcome; an error is raised only when no job started (lock held, ...)."""
    p = repository_plan(cat, plan)
    if not p.sources:
        raise ConfigError(f"Plan {p.name!r} has no sources.")
    state: dict[str, Any] = {}
    try:
        with repo_job(cat, p, JobKind.BACKUP.value, paths=paths, secrets=secrets,
                      trigger=trigger, requested_by=requested_by, progress=progress,
                      cancel=cancel) as rj:
            state["job_id"] = rj.job.id
            _run_body(cat, rj, state)
    except BackupDeskError as e:
        if "job_id" not in state:
            raise  # no job was started
        return RunOutcome.of_error(state["job_id"], e, state.get("backup_id"))
    return RunOutcome(state["job_id"], state["status"].value, state["backup_id"], "archive",
                      state["error"], state["warnings"])


def _run_body(cat: Catalogue, rj: RepoJob, state: dict[str, Any]) -> None:
    repo, p, j = rj.repo, rj.plan, rj.job
    unchanged = repo.unchanged()  # nobody wrote to it since our last job
    started_ns = time.time_ns()
    with repo.start_create(list(p.sources), list(p.excludes), utcnow(),
                           j.progress if j.listening else no_progress, j.cancel) as creating:
        # The engine runs: the rest of the run loads now, beside it (the one import point).
        from core.jobs import repository_plan as rest

        after = rest.AfterCreate(cat, rj, unchanged, started_ns)
        res = creating.result()
    after.finish(res, state)
