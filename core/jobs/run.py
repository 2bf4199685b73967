"""`run_plan`: run a plan's backup now, whichever engine it has.

A plan of an engine that keeps its own repository goes to core.jobs.repository_run, one that
writes artifacts to core.jobs.backup. Each branch is imported when a plan needs it, so a run
loads only its own engine's job (the registry says which).
"""

from __future__ import annotations

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobTrigger
from core.catalogue.plans import get_plan
from core.config import AppPaths
from core.engines import keeps_repository
from core.errors import ConfigError
from core.hosts import check_runs_here
from core.jobs.outcome import RunOutcome
from core.progress import CancelToken, ProgressCallback, no_progress
from core.secrets import SecretStore

__all__ = ["RunOutcome", "run_plan"]


def run_plan(cat: Catalogue, paths: AppPaths, plan_name: str, *, mode: str = "auto",
             trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
             secrets: SecretStore | None = None, here: bool = False) -> RunOutcome:
    """Run the plan now. LockedError if it is running anywhere, ConfigError (and no job) if it
    belongs to another host and `here` is not given; else an outcome, never raising for a
    failed run (its error is in the outcome and in the job)."""
    if mode not in ("auto", "full", "incremental"):
        raise ConfigError(f"Unknown run mode {mode!r}.")
    plan = get_plan(cat, plan_name)
    check_runs_here(plan, here=here)
    if keeps_repository(plan.engine):
        from core.jobs import repository_run

        return repository_run.run_plan(cat, paths, plan, trigger=trigger, requested_by=requested_by,
                                   progress=progress, cancel=cancel, secrets=secrets)
    from core.jobs import backup

    return backup.run_artifact_plan(cat, paths, plan, mode=mode, trigger=trigger,
                                    requested_by=requested_by, progress=progress,
                                    cancel=cancel, secrets=secrets)
