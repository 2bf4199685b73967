"""`plan add --engine borg`: create (`--init`) or check (`--existing`) the repository."""

from __future__ import annotations

import argparse
from typing import Any

from core.catalogue.models import JobTrigger, Plan
from core.errors import BackupDeskError


def set_up_plan_repository(ctx: Any, plan: Plan, a: argparse.Namespace, store: Any) -> None:
    """Run borg init or check the repository; the plan is removed again if that fails."""
    from core import plans
    from core.engines.borg.errors import RepositoryMissingError
    from core.jobs.repository import setup_repository

    create = getattr(a, "borg_setup", None) == "init"
    try:
        setup_repository(ctx.catalogue, ctx.config.paths, plan, create=create,
                         trigger=JobTrigger.CLI.value, secrets=store)
    except RepositoryMissingError as e:
        plans.remove_plan(ctx.catalogue, plan.name, secrets=store)
        raise type(e)(f"{e} Add --init to create a new repository there.", e.msgid) from None
    except BackupDeskError:
        plans.remove_plan(ctx.catalogue, plan.name, secrets=store)
        raise
