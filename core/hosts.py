"""Which host runs a plan. In a shared catalogue (PostgreSQL) a plan belongs to the host that
created it (changed with `plan edit --host`): only that host's scheduler runs it, and `run`
elsewhere needs `--here`. A plan with no host (one made before hosts were recorded, or in a
catalogue file, which one host uses) runs anywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.catalogue.jobs import job_hosts, this_host
from core.catalogue.models import Plan
from core.catalogue.plans import shared_destination_ids
from core.errors import ConfigError, EngineError

if TYPE_CHECKING:  # `run` checks the host before it loads the backups' model
    from core.backups import BackupInfo

__all__ = ["check_readable_here", "check_runs_here", "elsewhere", "home_for_new_plan",
           "runs_here", "this_host"]


def home_for_new_plan(cat: Catalogue) -> str | None:
    return None if cat.is_sqlite else this_host()


def runs_here(plan: Plan) -> bool:
    return not plan.host or plan.host == this_host()


def check_runs_here(plan: Plan, *, here: bool = False) -> None:
    """ConfigError, before any job starts, if `plan` belongs to another host and `here` is
    not given."""
    if here or runs_here(plan):
        return
    raise ConfigError(f"Plan {plan.name!r} runs on {plan.host}, not on {this_host()}: run it "
                      "there, or add --here to back up this host's files with it.")


def elsewhere(cat: Catalogue, backups: list[BackupInfo]) -> dict[int, str]:
    """Copies (location id) on another host's local disk, with that host: written by a job of
    another host to a destination not declared shared. This host cannot see them (or sees its
    own folder at the same path), so it neither reads them nor marks them missing. Empty for a
    catalogue file, which one host uses."""
    if cat.is_sqlite:
        return {}
    here = this_host()
    hosts = job_hosts(cat, [b.job_id for b in backups if b.job_id is not None])
    shared = shared_destination_ids(cat, [loc.destination_id for b in backups
                                          for loc in b.locations
                                          if loc.destination_id is not None])
    return {loc.id: hosts[b.job_id] for b in backups
            if b.job_id is not None and hosts.get(b.job_id, here) != here
            for loc in b.locations if loc.destination_id not in shared}


def check_readable_here(cat: Catalogue, b: BackupInfo) -> None:
    """EngineError, before any job starts, if every copy of `b` is on another host's disk."""
    away = elsewhere(cat, [b])
    live = [loc for loc in b.locations if loc.state != LocationState.DELETED.value]
    if live and all(loc.id in away for loc in live):
        host = away[live[0].id]
        raise EngineError(f"Backup {b.id}'s copies are on {host}'s local disk (not a shared "
                          f"destination): restore it on {host}.")
