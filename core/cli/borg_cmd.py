"""`backupdesk refresh|check|compact|repo-init|repo-info|archives|break-lock` (borg plans).

`backupdesk prune` (all engines) calls core.engines.borg.prune for borg plans.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from core.catalogue.enums import JobTrigger
from core.catalogue.plans import get_plan
from core.cli.context import CliContext, print_json, print_table
from core.errors import BackupDeskError, UsageError
from core.fmt import human_bytes, local_time
from core.jobs.repository import (
    break_lock,
    check,
    compact,
    list_archives,
    refresh,
    refresh_all,
    repo_info,
    setup_repository,
)
from core.progress import CancelToken
from core.secrets import SecretStore
from core.timeutil import iso

CLI = JobTrigger.CLI.value


def register(sub: Any) -> None:
    ref = sub.add_parser("refresh", help="record archives made outside Backup Desk (borg plans)")
    ref.add_argument("plan", nargs="?",
                     help="only this plan (default: every enabled borg plan; a repository busy "
                          "with another job is skipped)")
    ref.add_argument("--json", action="store_true")
    ref.add_argument("--by-app", action="store_true", help=argparse.SUPPRESS)  # gui.borg_refresh
    ref.set_defaults(func=_refresh)

    chk = sub.add_parser("check", help="borg check of a plan's repository (a verify job)")
    chk.add_argument("plan")
    chk.add_argument("--verify-data", action="store_true",
                     help="also read and verify every chunk (slow)")
    chk.set_defaults(func=_check)

    cmp_ = sub.add_parser("compact", help="free the space of deleted archives (borg compact)")
    cmp_.add_argument("plan")
    cmp_.set_defaults(func=_compact)

    init = sub.add_parser("repo-init", help="create a borg plan's repository (borg init)")
    init.add_argument("plan")
    init.set_defaults(func=_init)

    info = sub.add_parser("repo-info", help="a borg plan's repository: encryption, sizes")
    info.add_argument("plan")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=_info)

    arch = sub.add_parser("archives", help="list the archives of a borg plan's repository")
    arch.add_argument("plan")
    arch.add_argument("--json", action="store_true")
    arch.set_defaults(func=_archives)

    brk = sub.add_parser("break-lock", help="break a stale borg lock on a plan's repository")
    brk.add_argument("plan")
    brk.add_argument("--yes", action="store_true",
                     help="confirm that no borg process uses the repository")
    brk.set_defaults(func=_break_lock)


def _cancellable(fn: Any, *args: Any, **kw: Any) -> Any:
    cancel = CancelToken()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        return fn(*args, cancel=cancel, **kw)
    finally:
        signal.signal(signal.SIGINT, old)


def _secrets(ctx: CliContext) -> Any:
    return SecretStore(ctx.config.paths)


def _refresh(ctx: CliContext, a: argparse.Namespace) -> int:
    if not a.plan:  # every enabled borg plan; a busy repository is skipped, errors reported
        reports = _cancellable(refresh_all, ctx.catalogue, ctx.config.paths,
                               trigger=JobTrigger.APP.value if a.by_app else CLI,
                               secrets=_secrets(ctx))
        rows = [({"plan": name, "error": str(r)} if isinstance(r, BackupDeskError)
                 else _report(name, r)) for name, r in reports.items()]
        if a.json:
            print_json(rows)
        else:
            for name, r in reports.items():
                print(f"{name}: {r if isinstance(r, BackupDeskError) else r.summary()}")
            if not reports:
                print("No borg plans to refresh.")
        return 1 if any("error" in row for row in rows) else 0
    p = get_plan(ctx.catalogue, a.plan)
    rep = _cancellable(refresh, ctx.catalogue, ctx.config.paths, p, trigger=CLI,
                       secrets=_secrets(ctx))
    if a.json:
        print_json([_report(p.name, rep)])
    else:
        print(f"{p.name}: {rep.summary()}")
    return 0


def _report(plan: str, rep: Any) -> dict[str, Any]:
    return {"plan": plan, "archives": rep.archives, "new_jobs": rep.new_jobs,
            "new_backups": rep.new_backups, "gone": rep.gone}


def _check(ctx: CliContext, a: argparse.Namespace) -> int:
    job = _cancellable(check, ctx.catalogue, ctx.config.paths, a.plan,
                       verify_data=a.verify_data, trigger=CLI, secrets=_secrets(ctx))
    print(f"Job {job}: the repository of plan {a.plan!r} is consistent.")
    return 0


def _compact(ctx: CliContext, a: argparse.Namespace) -> int:
    job = _cancellable(compact, ctx.catalogue, ctx.config.paths, a.plan, trigger=CLI,
                       secrets=_secrets(ctx))
    print(f"Job {job}: compacted the repository of plan {a.plan!r}.")
    return 0


def _init(ctx: CliContext, a: argparse.Namespace) -> int:
    job = setup_repository(ctx.catalogue, ctx.config.paths, a.plan, create=True, trigger=CLI,
                           secrets=_secrets(ctx))
    print(f"Job {job}: created the repository of plan {a.plan!r}.")
    return 0


def _info(ctx: CliContext, a: argparse.Namespace) -> int:
    data = repo_info(ctx.catalogue, ctx.config.paths, a.plan, trigger=CLI,
                     secrets=_secrets(ctx))
    if a.json:
        print_json(data)
        return 0

    stats = (data.get("cache") or {}).get("stats") or {}
    print(f"repository: {(data.get('repository') or {}).get('location')}")
    print(f"encryption: {(data.get('encryption') or {}).get('mode')}")
    print(f"original size: {human_bytes(stats.get('total_size'))}")
    print(f"stored size: {human_bytes(stats.get('unique_csize'))}")
    return 0


def _archives(ctx: CliContext, a: argparse.Namespace) -> int:
    items = list_archives(ctx.catalogue, ctx.config.paths, a.plan, trigger=CLI,
                          secrets=_secrets(ctx))
    if a.json:
        print_json([{"id": x.id, "name": x.name, "start": iso(x.start)} for x in items])
        return 0
    print_table(["NAME", "CREATED", "ID"],
                [[x.name, local_time(x.start), x.id[:16]] for x in items])
    return 0


def _break_lock(ctx: CliContext, a: argparse.Namespace) -> int:
    if not a.yes:
        raise UsageError("Breaking a lock that a running borg holds damages the repository: "
                         "make sure none runs, then add --yes.")
    location = break_lock(ctx.catalogue, ctx.config.paths, a.plan, secrets=_secrets(ctx))
    print(f"Broke the lock of {location}.", file=sys.stderr)
    return 0
