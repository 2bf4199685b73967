"""A new plan's repository, for engines that keep one (`Storage.REPOSITORY`): create it or
check that it is there, once for the CLI (`plan add --init/--existing`), the plan editor and
the welcome. The plan goes again when that fails."""

from __future__ import annotations

from typing import Any

from core import engines, plans
from core.catalogue.db import Catalogue
from core.catalogue.models import Plan
from core.config import AppPaths
from core.errors import BackupDeskError
from core.jobs.repository import setup_repository

# Whether a repository has to be created ("init") or is there already ("existing").
SETUP_CHOICES = ("existing", "init")


def repository_state(engine: str, location: str) -> str | None:
    """"repository" when `location` holds a repository, "missing" when it holds none, None when
    that cannot be told without running the engine (remote, empty). May touch the disk."""
    opt = engines.get(engine).options.get("repository")
    probe = getattr(opt, "state", None)
    return probe(location) if probe is not None and location else None


def setup_problem(engine: str, location: str, setup: str) -> str | None:
    """Why the chosen repository step cannot work, told before any plan or job is recorded."""
    state = repository_state(engine, location)
    if setup == "existing" and state == "missing":
        return (f"There is no {engine} repository at {location} yet: choose "
                "\u201cCreate a new repository\u201d, or correct the path.")
    if setup == "init" and state == "repository":
        return (f"{location} already holds a {engine} repository: choose "
                "\u201cUse an existing repository\u201d.")
    return None


def set_up_repository(cat: Catalogue, paths: AppPaths | None, plan: Plan, *, create: bool,
                      trigger: str, secrets: Any, missing_hint: str = "") -> None:
    """Create the plan's repository or check the existing one (a job of its own); on failure
    the plan is removed again (with its passphrase) and the error raised, with `missing_hint`
    added when no repository is where the plan says."""
    try:
        setup_repository(cat, paths, plan, create=create, trigger=trigger, secrets=secrets)
    except BackupDeskError as e:
        plans.remove_plan(cat, plan.name, secrets=secrets)
        location = str(plan.options.get("repository", ""))
        if (missing_hint and not create
                and repository_state(plan.engine, location) == "missing"):
            e.args = (f"{e} {missing_hint}", *e.args[1:])
        raise
