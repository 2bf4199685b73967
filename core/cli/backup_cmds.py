"""`backupdesk backups|verify|restore|copy-out|delete` (`run`: core.cli.run_cmd)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from core.backups import BackupFilter, as_tree, list_backups
from core.catalogue.enums import BACKUP_STATUSES, JobTrigger
from core.catalogue.plans import get_plan
from core.cli import db_password
from core.cli.context import CliContext, print_json, print_table
from core.cli.findex_cmd import parse_date
from core.cli.progress_bar import run_progress
from core.errors import UsageError
from core.fmt import count, human_bytes, local_time
from core.progress import CancelToken

# Each command imports its job's modules where it runs: a command loads only its own (tens of
# ms each).


def register(sub: Any) -> None:
    ls = sub.add_parser("backups", help="list backups as chains (full, then incrementals)")
    ls.add_argument("--plan", action="append", default=[], help="only this plan (repeatable)")
    ls.add_argument("--type", action="append", default=[], choices=["full", "incremental"])
    ls.add_argument("--status", action="append", default=[], choices=list(BACKUP_STATUSES))
    ls.add_argument("--destination", action="append", default=[], metavar="LOCATION")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    ver = sub.add_parser("verify", help="check every artifact at every destination")
    ver.add_argument("ids", nargs="*", type=int, metavar="ID")
    ver.add_argument("--all", action="store_true", help="verify every backup")
    ver.add_argument("--deep", action="store_true",
                     help="download and hash the copies at remote destinations (else their "
                          "size and the remote's own hash are checked)")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=_verify)

    rst = sub.add_parser("restore", help="restore a backup into a folder or a database")
    rst.add_argument("id", type=int, nargs="?", help="the backup (not with --file)")
    rst.add_argument("--to", type=Path, metavar="DIR", help="target folder")
    rst.add_argument("--file", metavar="PATH",
                     help="one file as it was on the source, from the backups that hold it "
                          "(the file index); with --version or --at")
    rst.add_argument("--version", default="last", metavar="N|first|last",
                     help="with --file: which version (1 the oldest; default last)")
    rst.add_argument("--at", type=parse_date, metavar="DATE",
                     help="with --file: the version a backup made by DATE holds")
    rst.add_argument("--plan", help="with --file: the plan whose backups hold it")
    rst.add_argument("--path", action="append", default=[], metavar="P",
                     help="only this path of the backup (repeatable)")
    rst.add_argument("--overwrite", action="store_true", help="allow a non-empty target")
    rst.add_argument("--into-database", metavar="URL",
                     help="load the PostgreSQL or MySQL dump into this database")
    db_password.add_flag(rst, "the --into-database URL")
    rst.add_argument("--dump", metavar="NAME", help="which dump, if the backup has several")
    rst.add_argument("--numeric-owner", action="store_true",
                     help="as root, restore owners by number, not by user and group name")
    rst.add_argument("--json", action="store_true")
    rst.set_defaults(func=_restore)

    cp = sub.add_parser("copy-out", help="save a backup's files to a folder")
    cp.add_argument("id", type=int)
    cp.add_argument("--to", type=Path, required=True, metavar="DIR")
    cp.add_argument("--chain", action="store_true", help="include the backups it builds on")
    cp.add_argument("--json", action="store_true")
    cp.set_defaults(func=_copy_out)

    rm = sub.add_parser("delete", help="delete a backup record, and with --files its files")
    rm.add_argument("id", type=int)
    rm.add_argument("--files", action="store_true", help="also delete its files everywhere")
    rm.add_argument("--yes", action="store_true", help="do not ask")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=_delete)


def _list(ctx: CliContext, a: argparse.Namespace) -> int:
    flt = BackupFilter(plans=tuple(a.plan), types=tuple(a.type), statuses=tuple(a.status),
                       destinations=tuple(a.destination))
    items = list_backups(ctx.catalogue, flt)
    if a.json:
        print_json([b.to_json() for b in items])
        return 0
    if not items:
        print("No backups.")
        return 0
    rows = []
    for depth, b in as_tree(items):
        marks = ", ".join(f"{loc.destination}={loc.state}" for loc in b.locations)
        rows.append([str(b.id), b.plan, "  " * depth + b.type, local_time(b.created_at),
                     human_bytes(b.size), b.status, marks])
    print_table(["ID", "PLAN", "TYPE", "CREATED", "SIZE", "STATUS", "DESTINATIONS"], rows)
    return 0


def _verify(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.verify import verify_backups

    if not a.ids and not a.all:
        raise UsageError("Name the backups to verify, or use --all.")
    cancel = CancelToken()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        report = verify_backups(ctx.catalogue, None if a.all else a.ids, cancel=cancel,
                                trigger=JobTrigger.CLI.value, paths=ctx.config.paths,
                                deep=a.deep)
    finally:
        signal.signal(signal.SIGINT, old)
    if a.json:
        print_json({"ok": report.all_ok, "locations": [r.to_json() for r in report.locations]})
    else:
        for r in report.locations:
            bad = [f"{x.name}: {x.state}" for x in r.artifacts if x.state != "ok"]
            if r.error:
                print(f"backup {r.backup_id} at {r.destination}: not verified ({r.error})")
            else:
                print(f"backup {r.backup_id} at {r.destination}: {r.state}"
                      + (f" ({'; '.join(bad)})" if bad else ""))
    problem = report.problem()
    if problem:
        print(f"backupdesk: {problem}", file=sys.stderr)
        return 1
    return 0


def _restore(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.restore import restore_backup

    if a.file is not None:
        return _restore_file(ctx, a)
    if a.id is None:
        raise UsageError("restore needs a backup ID, or --file PATH.")
    into = a.into_database
    if a.database_password_stdin:
        if into is None:
            raise UsageError(f"{db_password.FLAG} goes with --into-database.")
        into = db_password.fill_in([into])[0]
    res = restore_backup(ctx.catalogue, a.id, to=a.to, paths=a.path, overwrite=a.overwrite,
                         into_database=into, dump=a.dump,
                         trigger=JobTrigger.CLI.value, numeric_owner=a.numeric_owner)
    for line in res.problems:
        print(f"backupdesk: {line}", file=sys.stderr)
    if a.json:
        print_json(res.to_json())
    elif res.loaded_into:
        print(f"Loaded the dump of backup {a.id} into {res.loaded_into}.")
    else:
        print(f"Restored {count(res.files, 'file')} and {count(len(res.dumps), 'dump')} "
              f"of backup {a.id} to {a.to}"
              + (f"; {count(len(res.problems), 'entry', 'entries')} not restored."
                 if res.problems else "."))
    return 3 if res.problems else 0


def _restore_file(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.findex.versions import pick, show_path
    from core.jobs.restore import restore_backup
    from core.plans import list_plans

    if a.id is not None or a.path or a.into_database:
        raise UsageError("--file takes no backup ID, --path or --into-database.")
    if a.to is None:
        raise UsageError("--file needs --to DIR.")
    cat = ctx.catalogue
    plans = [get_plan(cat, a.plan)] if a.plan else list_plans(cat)
    p = pick(cat, plans, a.file, version=a.version, at=a.at)
    b = p.version.last
    res = restore_backup(cat, b.id, to=a.to, paths=[p.path], overwrite=a.overwrite,
                         trigger=JobTrigger.CLI.value, numeric_owner=a.numeric_owner)
    for line in res.problems:
        print(f"backupdesk: {line}", file=sys.stderr)
    if a.json:
        print_json({**res.to_json(), "plan": p.plan, "path": p.path,
                    "version": p.version.number, "versions": p.count})
    else:
        print(f"Restored version {p.version.number} of {p.count} of {show_path(p.path)} "
              f"(plan {p.plan}) from backup {b.id} to {a.to}.")
    return 3 if res.problems or not res.files else 0


def _copy_out(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.copy_out import Copied, copy_out

    cancel = CancelToken()
    old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        with run_progress(f"backup {a.id}", json=a.json) as progress:
            paths = copy_out(ctx.catalogue, a.id, a.to, chain=a.chain, cancel=cancel,
                             progress=progress)
    finally:
        signal.signal(signal.SIGINT, old)
    if a.json:
        print_json([str(p) for p in paths])
    else:
        print(Copied.of(paths, a.to).sentence())
    return 0


def _delete(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.delete import delete_backups, deletion_set, describe_deletion

    items = deletion_set(ctx.catalogue, a.id)
    text = describe_deletion(items)
    if a.files:
        text += " Their files are deleted at every destination."
    print(text, file=sys.stderr)
    if not a.yes:
        if not sys.stdin.isatty():
            raise UsageError("Add --yes to confirm the deletion.")
        if input("Proceed? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=sys.stderr)
            return 1
    report = delete_backups(ctx.catalogue, a.id, files=a.files)
    if a.json:
        print_json({"deleted": report.deleted, "removed_paths": report.removed_paths,
                    "errors": report.errors})
    else:
        print(f"Deleted {count(len(report.deleted), 'backup')}.")
    for e in report.errors:
        print(f"backupdesk: {e}", file=sys.stderr)
    return 1 if report.errors else 0
