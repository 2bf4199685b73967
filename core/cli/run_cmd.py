"""`backupdesk run PLAN`: only what a run needs is imported (a borg plan's `run` starts borg
before the rest of the run is loaded: core.jobs.repository_run)."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from core import watch
from core.catalogue.enums import JobTrigger
from core.catalogue.plans import get_plan
from core.catalogue.watch import job_warnings
from core.cli.context import CliContext, print_json
from core.cli.progress_bar import run_progress
from core.hosts import check_runs_here
from core.jobs.run import run_plan
from core.progress import CancelToken
from core.secrets import SecretStore
from core.watch.warnings import ANOMALY, normalised


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run a plan's backup now")
    run.add_argument("plan")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="make a full backup")
    mode.add_argument("--incremental", dest="mode", action="store_const", const="incremental",
                      help="only what changed since the previous backup")
    run.add_argument("--json", action="store_true", help="print the job as JSON")
    run.add_argument("--here", action="store_true",
                     help="run a plan that belongs to another host on this one")
    run.set_defaults(func=_run, mode="auto")


def _run(ctx: CliContext, a: argparse.Namespace) -> int:
    watch.install()

    cat = ctx.catalogue
    secrets = SecretStore(ctx.config.paths)
    plan = get_plan(cat, a.plan)
    check_runs_here(plan, here=a.here)  # before any job: a refused run records nothing
    if any(not str(u).startswith("sqlite") for u in plan.options.get("databases") or []):
        note = secrets.fallback_notice()
        if note:
            print(f"backupdesk: {note}", file=sys.stderr)
    cancel = CancelToken()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        with run_progress(a.plan, json=a.json) as progress:
            outcome = run_plan(cat, ctx.config.paths, a.plan, mode=a.mode,
                               trigger=JobTrigger.CLI.value, cancel=cancel, secrets=secrets,
                               progress=progress, here=a.here)
    finally:
        signal.signal(signal.SIGINT, old)
    warnings = normalised(job_warnings(cat, [outcome.job_id]).get(outcome.job_id))
    if a.json:
        print_json({**outcome.to_json(cat), "warnings": warnings})
    else:
        what = f"backup {outcome.backup_id} ({outcome.type})" if outcome.backup_id else "no backup"
        print(f"Job {outcome.job_id} of plan {a.plan!r}: {outcome.status}, {what}.")
        for w in warnings[:20]:
            print(f"{'anomaly' if w['kind'] == ANOMALY else 'warning'}: {w['text']}",
                  file=sys.stderr)
    if outcome.error:
        print(f"backupdesk: {outcome.error}", file=sys.stderr)
    return outcome.exit_code
