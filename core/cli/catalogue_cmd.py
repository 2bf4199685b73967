"""`backupdesk import`: rebuild the catalogue from a destination."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core import keys
from core.cli.context import CliContext, print_json
from core.fmt import count
from core.secrets import SecretStore

PARTIAL = 3


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="record the backups a destination holds (plans, chains, "
                         "copies) in this home's catalogue, from their manifests")
    imp.add_argument("dest", metavar="DEST", help="a destination folder")
    imp.add_argument("--plan", metavar="NAME", help="only this plan's backups")
    imp.add_argument("--key-file", metavar="FILE", type=Path,
                     help="an encrypted plan's recovery key (as `key export` prints it); "
                          "stored in this home's secret store")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=_import)


def _import(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.catalogue_import import import_destination  # only this command reads manifests

    store = SecretStore(ctx.config.paths)
    if a.key_file is not None:
        keys.learn_key_file(a.key_file, store)
    report = import_destination(ctx.catalogue, a.dest, plan=a.plan, store=store)
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
