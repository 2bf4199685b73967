"""Opening a plan's repository through its engine, and a job that holds the repository.

The engine object comes from the engine registry (EngineSpec.repository_engine): nothing here
knows an engine by name, so a second repository engine plugs in without edits here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core import engines
from core.borgmatic_options import passcommand_secret
from core.catalogue.db import Catalogue
from core.catalogue.models import JobTrigger, Plan
from core.catalogue.plans import get_plan
from core.config import AppPaths
from core.engines.api import Repository, RepositoryEngine, RepoTarget
from core.errors import ConfigError
from core.jobs.lifecycle import Job, job
from core.progress import CancelToken, ProgressCallback, no_progress
from core.secrets import SecretStore


def engine_of(name: str) -> RepositoryEngine:
    """The engine object of a repository engine; ConfigError for any other engine."""
    spec = engines.get(name)
    if not engines.keeps_repository(name) or spec.repository_engine is None:
        raise ConfigError(f"Plans of the {name} engine keep no repository of their own.")
    eng: RepositoryEngine = spec.repository_engine()
    return eng


def repository_plan(cat: Catalogue, plan: str | Plan) -> Plan:
    """The plan (by name or as given); ConfigError unless its engine keeps a repository."""
    p = get_plan(cat, plan) if isinstance(plan, str) else plan
    if not engines.keeps_repository(p.engine):
        title = engines.get(p.engine).title
        raise ConfigError(f"Plan {p.name!r} is not a repository plan ({title}).")
    return p


@dataclass(frozen=True)
class Opened:
    engine: RepositoryEngine
    repo: Repository


def open_repository(plan: Plan, paths: AppPaths | None, secrets: Any = None, *,
                    location: str | None = None, with_secret: bool = True) -> Opened:
    """The plan's repository (or the one a backup was recorded in), with its stored secret
    (without: the secret store, maybe a keyring, is not asked)."""
    eng = engine_of(plan.engine)
    paths = paths or AppPaths.resolve()
    secret = None
    if with_secret:
        secret = (secrets or SecretStore(paths)).get(eng.secret_name(plan.id))
        if secret is None:  # a plan imported from borgmatic may name a passphrase command
            secret = passcommand_secret(plan.options)
    target = RepoTarget(plan.id, plan.name, dict(plan.options), secret=secret,
                        home=paths.home, state_dir=paths.state_dir, location=location)
    return Opened(eng, eng.open(target))


@dataclass
class RepoJob:
    """A job holding a repository: the lifecycle's Job, the engine and its repository."""

    job: Job
    engine: RepositoryEngine
    repo: Repository
    plan: Plan

    @property
    def cancel(self) -> CancelToken:
        return self.job.cancel

    def log(self, text: str | list[str]) -> None:
        self.job.log(text)


@contextmanager
def repo_job(cat: Catalogue, plan: Plan, kind: str, *, paths: AppPaths | None = None,
             secrets: Any = None, trigger: str = JobTrigger.MANUAL.value,
             requested_by: str | None = None, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None, details: dict[str, Any] | None = None,
             location: str | None = None) -> Iterator[RepoJob]:
    """A job of `plan` holding its repository's lock (core.jobs.lifecycle.job). The engine's
    program is checked inside the job; a job that ends well notes the repository's state."""
    o = open_repository(plan, paths, secrets, location=location)
    with job(cat, kind=kind, engine=plan.engine, plan=plan, trigger=trigger,
             requested_by=requested_by, lock_key=o.repo.lock_key,
             details={"repository": o.repo.location, **(details or {})},
             progress=progress, cancel=cancel) as j:
        o.repo.ready()
        yield RepoJob(j, o.engine, o.repo, plan)
        o.repo.remember()
