"""Telling the world about jobs: hooks, pings, notifications (and `/metrics`, core.tell.metrics).

`install(paths)` registers the job lifecycle's guard and listener once per process (the CLI
does at start-up, the window's and the service's scheduler too); nothing is registered at
import time. `announce(...)` sends a plan's notification once per key (core.tell.notify).
Both load their modules when first used: `core.plans` reads the option schema
(core.tell.options) on every command, and a command that runs no job loads none of the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import AppPaths
    from core.jobs.lifecycle import Job, JobEvent

_paths: AppPaths | None = None


def install(paths: AppPaths) -> None:
    """Tell about the jobs this process runs, with the secrets and state of `paths` (a later
    call changes the home, never registers twice)."""
    global _paths
    from core.jobs import lifecycle  # small; the job layer itself loads when a job runs

    first = _paths is None
    _paths = paths
    if first:
        lifecycle.add_guard(_started)
        lifecycle.add_listener(_heard)


def uninstall() -> None:
    """This process tells nothing any more (tests)."""
    global _paths
    from core.jobs import lifecycle

    _paths = None
    lifecycle.remove_guard(_started)
    lifecycle.remove_listener(_heard)


def _started(job: Job) -> None:
    from core.tell import runtime  # hooks, pings, secrets: only once a job runs

    if _paths is not None:
        runtime.started(job, _paths)


def _heard(event: JobEvent) -> None:
    from core.tell import runtime

    runtime.heard(event)


def announce(*args: Any, **kwargs: Any) -> bool:
    """core.tell.notify.announce(cat, plan, event, title, body, key)."""
    from core.tell.notify import announce as _announce

    return _announce(*args, **kwargs)
