"""`backupdesk plan add|list|show|remove`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core import engines, keys, plans
from core.catalogue.destinations import set_marker
from core.catalogue.models import JobTrigger
from core.cli import db_password, plan_options
from core.cli.context import CliContext, print_json, print_table
from core.destinations import create_destination
from core.secrets import SecretStore


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="manage backup plans")
    psub = p.add_subparsers(dest="plan_command", metavar="ACTION", required=True,
                            parser_class=type(p))
    add = psub.add_parser("add", help="create a plan")
    add.add_argument("name")
    add.add_argument("--engine", required=True, choices=sorted(engines.engines()))
    _settings(add, "")
    plan_options.add_flags(add)
    db_password.add_flag(add, "each --database URL that has none")
    add.set_defaults(func=_add)

    ls = psub.add_parser("list", help="list plans")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    show = psub.add_parser("show", help="show one plan's settings")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=_show)

    cd = psub.add_parser("create-dest", help="set up a plan's destination folders again "
                         "(create the folder and its marker), e.g. after replacing a disk")
    cd.add_argument("name")
    cd.add_argument("--dest", action="append", default=[], metavar="PATH",
                    help="only this destination (repeatable; default: all of the plan's)")
    cd.set_defaults(func=_create_dest)

    edit = psub.add_parser("edit", help="change a plan's settings: only those given change")
    edit.add_argument("name")
    edit.add_argument("--rename", metavar="NEW", help="a new name for the plan")
    _settings(edit, "; a list given replaces the plan's")
    onoff = edit.add_mutually_exclusive_group()
    onoff.add_argument("--enable", dest="enabled", action="store_const", const=True)
    onoff.add_argument("--disable", dest="enabled", action="store_const", const=False)
    edit.add_argument("--no-shared-dest", action="append", default=[], metavar="PATH",
                      help="a destination no longer shared (only this host sees it), "
                           "repeatable")
    home = edit.add_mutually_exclusive_group()
    home.add_argument("--host", metavar="NAME",
                      help="the host whose scheduler runs the plan (a shared catalogue)")
    home.add_argument("--any-host", action="store_true",
                      help="any host's scheduler may run the plan")
    plan_options.add_flags(edit, setup=False)
    edit.set_defaults(func=_edit)

    rm = psub.add_parser("remove", help="remove a plan (its history stays)")
    rm.add_argument("name")
    rm.set_defaults(func=_remove)


def _settings(p: argparse.ArgumentParser, replaces: str) -> None:
    """The settings every plan has (`plan add` and `plan edit`)."""
    p.add_argument("--source", action="append", default=[], metavar="PATH",
                   help=f"file or folder to back up (repeatable{replaces})")
    p.add_argument("--dest", action="append", default=[], metavar="PATH",
                   help=f"destination: a folder (created, with its marker), "
                        f"sftp://USER@HOST[:PORT]/PATH, s3://BUCKET/PATH or "
                        f"RCLONE_REMOTE:PATH (repeatable{replaces})")
    p.add_argument("--shared-dest", action="append", default=[], metavar="PATH",
                   help="a destination on a mount every host sees (NFS, SMB, S3), repeatable")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help=f"exclude pattern (repeatable{replaces})")
    p.add_argument("--schedule", metavar="EXPR",
                   help="hourly, daily, weekly, monthly or a cron expression")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")


def _add(ctx: CliContext, a: argparse.Namespace) -> int:
    store = SecretStore(ctx.config.paths)
    options = plan_options.options_from_args(a.engine, a)
    if a.database_password_stdin:
        options["databases"] = db_password.fill_in(list(options.get("databases") or []))
    recovery = keys.enable(options, None, engines.keeps_repository(a.engine), store)
    try:
        plan = plans.add_plan(
            ctx.catalogue, a.name, a.engine, sources=a.source,
            destinations=a.dest + a.shared_dest, excludes=a.exclude, schedule=a.schedule,
            options=options, secrets=store,
        )
    except BaseException:
        if recovery:
            store.delete(keys.secret_key(options[keys.OPTION]))
        raise
    if a.shared_dest:
        plan = plans.mark_shared(ctx.catalogue, plan.name, a.shared_dest)
    if engines.keeps_repository(a.engine):  # create the repository, or check it
        from core.plan_setup import set_up_repository  # repository set-up: only these plans

        set_up_repository(ctx.catalogue, ctx.config.paths, plan, trigger=JobTrigger.CLI.value,
                          create=getattr(a, "repository_setup", None) == "init", secrets=store,
                          missing_hint="Add --init to create a new repository there.")
    stored_secret = bool(plans.split_passwords(options)[1]) or bool(recovery)
    notice = store.fallback_notice() if stored_secret else None
    if notice:
        print(f"backupdesk: {notice}", file=sys.stderr)
    if a.json:
        print_json(plans.plan_json(plan))
    else:
        print(f"Plan {plan.name!r} created.")
    if recovery:
        show_recovery_key(plan.name, recovery, a.json)
    return 0


def show_recovery_key(name: str, secret: str, beside_json: bool) -> None:
    """The recovery key, once, to the terminal only (never the log); beside JSON output on
    stderr, so that stdout stays JSON."""
    print(f"\nRecovery key of plan {name!r} (its backups are encrypted with it):\n\n"
          f"    {secret}\n\n{keys.recovery_text(name)}",
          file=sys.stderr if beside_json else sys.stdout)


def _edit(ctx: CliContext, a: argparse.Namespace) -> int:
    plan = plans.get_plan(ctx.catalogue, a.name)
    backup = [sc.expression for sc in plan.schedules if sc.kind == "backup"]
    options = plan_options.edited_options(plan.engine, dict(plan.options), a)
    store = SecretStore(ctx.config.paths)
    recovery = keys.enable(options, plan.options, engines.keeps_repository(plan.engine), store)
    was_encrypted = keys.recipient_of(plan.options) is not None
    dests = _with(a.dest or [d.location for d in plan.destinations], a.shared_dest)
    plans.check_shared(plan.name, dests, a.shared_dest, a.no_shared_dest)  # before any change
    edited = plans.update_plan(
        ctx.catalogue, plan.name, new_name=a.rename, enabled=a.enabled,
        sources=a.source or list(plan.sources), destinations=dests,
        excludes=a.exclude or list(plan.excludes),
        schedule=a.schedule if a.schedule is not None else (backup[0] if backup else None),
        options=options, secrets=store)
    if a.shared_dest or a.no_shared_dest:
        edited = plans.mark_shared(ctx.catalogue, edited.name, a.shared_dest,
                                   unshared=a.no_shared_dest)
    if a.host is not None or a.any_host:
        edited = plans.set_host(ctx.catalogue, edited.name, None if a.any_host else a.host)
    if a.json:
        print_json(plans.plan_json(edited))
    else:
        print(f"Plan {edited.name!r} changed.")
    if recovery:
        show_recovery_key(edited.name, recovery, a.json)
    elif was_encrypted and not keys.recipient_of(edited.options):
        print(keys.turned_off(edited.name), file=sys.stderr if a.json else sys.stdout)
    return 0


def _with(dests: list[str], more: list[str]) -> list[str]:
    known = {str(Path(d).expanduser().absolute()) for d in dests}
    return dests + [d for d in more if str(Path(d).expanduser().absolute()) not in known]


def _list(ctx: CliContext, a: argparse.Namespace) -> int:
    items = plans.list_plans(ctx.catalogue)
    if a.json:
        print_json([plans.plan_json(p) for p in items])
        return 0
    if not items:
        print("No plans. Create one with: backupdesk plan add NAME --engine ENGINE ...")
        return 0
    print_table(
        ["NAME", "ENGINE", "ENABLED", "SOURCES", "DESTINATIONS", "SCHEDULE"],
        [[p.name, p.engine, "yes" if p.enabled else "no", str(len(p.sources)),
          str(len(p.destinations)), ", ".join(s.expression for s in p.schedules)]
         for p in items],
    )
    return 0


def _show(ctx: CliContext, a: argparse.Namespace) -> int:
    data = plans.plan_json(plans.get_plan(ctx.catalogue, a.name))
    if a.json:
        print_json(data)
        return 0
    for key in ("name", "engine", "enabled"):
        print(f"{key}: {data[key]}")
    for src in data["sources"]:
        print(f"source: {src}")
    for ex in data["excludes"]:
        print(f"exclude: {ex}")
    print(f"host: {data['host'] or 'any host'}")
    for d in data["destinations"]:
        print(f"destination: {d['location']}" + (" (shared)" if d["shared"] else ""))
    for sc in data["schedules"]:
        print(f"schedule: {sc['expression']} (next: {', '.join(sc['next_runs'][:2])})")
    shown = {**{k: f"{v} (default)" for k, v in data["defaults"].items()}, **data["options"]}
    for k, v in sorted(shown.items()):
        print(f"{k}: {v}")
    return 0


def _create_dest(ctx: CliContext, a: argparse.Namespace) -> int:
    plan = plans.get_plan(ctx.catalogue, a.name)
    wanted = {str(Path(d).expanduser().absolute()) for d in a.dest}
    chosen = [d for d in plan.destinations if not wanted or d.location in wanted]
    if not chosen or len(chosen) < len(wanted):
        print(f"backupdesk: plan {plan.name!r} has no such destination.", file=sys.stderr)
        return 2
    for d in chosen:
        if d.kind == "rclone":  # nothing to set up: checked with a probe before each run
            print(f"Destination {d.location} is remote: it is checked before each run.")
            continue
        set_marker(ctx.catalogue, d.id, create_destination(d.location))
        print(f"Destination {d.location} set up.")
    return 0


def _remove(ctx: CliContext, a: argparse.Namespace) -> int:
    plans.remove_plan(ctx.catalogue, a.name, secrets=SecretStore(ctx.config.paths))
    print(f"Plan {a.name!r} removed; its history is kept.")
    return 0
