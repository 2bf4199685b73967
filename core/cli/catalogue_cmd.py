"""`backupdesk import`: rebuild the catalogue from a destination; `backupdesk catalogue backup`:
a copy of the catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core import catalogue_backup, keys, plans
from core.cli.context import CliContext, print_json
from core.engines import keeps_repository
from core.errors import BackupDeskError, UsageError
from core.fmt import count
from core.remote import settings as remote_settings
from core.secrets import SecretStore

PARTIAL = 3


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="record the backups a destination holds (plans, chains, "
                         "copies) in this home's catalogue, from their manifests")
    imp.add_argument("dest", metavar="DEST", help="a destination folder, sftp://USER@HOST/PATH, "
                     "s3://BUCKET/PATH or REMOTE:PATH")
    imp.add_argument("--plan", metavar="NAME", help="only this plan's backups")
    imp.add_argument("--key-file", metavar="FILE", type=Path,
                     help="an encrypted plan's recovery key (as `key export` prints it); "
                          "stored in this home's secret store")
    imp.add_argument("--json", action="store_true")
    remote_settings.add_flags(imp)
    imp.set_defaults(func=_import)

    c = sub.add_parser("catalogue", help="the catalogue itself")
    csub = c.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True,
                            parser_class=type(c))
    b = csub.add_parser("backup", help="copy the catalogue (SQLite's online backup, or pg_dump) "
                        "to a folder, or to each archive plan's first destination")
    b.add_argument("--to", metavar="DEST",
                   help="this folder or remote (default: each archive plan's first destination, "
                        f"under {catalogue_backup.FOLDER}/, encrypted for an encrypted plan)")
    b.add_argument("--keep", type=int, default=catalogue_backup.KEEP, metavar="N",
                   help=f"copies kept there, the newest (default {catalogue_backup.KEEP})")
    remote_settings.add_flags(b)
    b.set_defaults(func=_backup)


def _import(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.catalogue_import import import_destination  # only this command reads manifests

    store = SecretStore(ctx.config.paths)
    if a.key_file is not None:
        keys.learn_key_file(a.key_file, store)
    given, env_keys = remote_settings.from_args(a)
    report = import_destination(ctx.catalogue, a.dest, plan=a.plan, store=store,
                                remote_options=given, remote_defaults=env_keys)
    if a.json:
        print_json(report.to_json())
    else:
        for name in report.plans_created:
            print(f"Plan {name!r} created.")
        print(f"{report.destination}: {count(len(report.added), 'backup')} added, "
              f"{count(report.copies, 'copy', 'copies')} of known backups added, "
              f"{report.known} known already.")
        for line in report.problems:
            print(f"Not imported: {line}")
    return PARTIAL if report.problems else 0


def _backup(ctx: CliContext, a: argparse.Namespace) -> int:
    if a.keep < 1:
        raise UsageError("--keep must be at least 1.")
    if a.to is not None:
        print(catalogue_backup.backup_to(ctx.catalogue, a.to, keep=a.keep,
                                         options=remote_settings.SCHEMA.from_args(a)))
        return 0
    targets = [p for p in plans.list_plans(ctx.catalogue)
               if not keeps_repository(p.engine) and any(d.enabled for d in p.destinations)]
    if not targets:
        raise UsageError("No archive plan has a destination: give a folder with --to.")
    failed = 0
    done: set[tuple[str, str | None]] = set()  # plans sharing a destination: one copy there
    for p in targets:
        first = next(d for d in p.destinations if d.enabled)
        key = (first.location, keys.recipient_of(p.options))
        if key in done:
            continue
        done.add(key)
        try:
            print(catalogue_backup.to_destination(ctx.catalogue, first, p, a.keep))
        except BackupDeskError as e:
            failed += 1
            print(f"backupdesk: plan {p.name}: {e}", file=sys.stderr)
    return PARTIAL if failed else 0
