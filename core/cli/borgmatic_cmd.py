"""`backupdesk borgmatic import`: borgmatic's repositories as external borg plans."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.context import CliContext, print_json, print_table
from core.errors import ConfigError, UsageError


def register(sub: Any) -> None:
    p = sub.add_parser("borgmatic", help="read borgmatic's configuration")
    s = p.add_subparsers(dest="borgmatic_command", metavar="COMMAND")
    imp = s.add_parser(
        "import", help="offer borgmatic's repositories as borg plans (no schedule here)")
    imp.add_argument("--borgmatic-config", action="append", default=[], metavar="FILE",
                     help="a borgmatic configuration file (repeatable; default "
                          "/etc/borgmatic/config.yaml and ~/.config/borgmatic/config.yaml)")
    imp.add_argument("--dry-run", action="store_true", help="say what would be added")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.set_defaults(func=_import)
    p.set_defaults(func=lambda _ctx, _a: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    raise UsageError("Say what to do with borgmatic: `backupdesk borgmatic import`.")


def _import(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.borgmatic import default_files, import_configs  # YAML only for this command

    files = [Path(f).expanduser() for f in a.borgmatic_config] or default_files()
    if not files:
        raise ConfigError("No borgmatic configuration found (/etc/borgmatic/config.yaml, "
                          "~/.config/borgmatic/config.yaml): name one with --borgmatic-config.")
    done = import_configs(ctx.catalogue, ctx.config.paths, files, dry_run=a.dry_run)
    failed = [o for o in done if o.action == "failed"]
    if a.json:
        print_json([o.to_json() for o in done])
    else:
        rows = [[o.plan or "—", o.action, o.repository or "—", o.file] for o in done
                if o.action != "failed"]
        if rows:
            print_table(["PLAN", "ACTION", "REPOSITORY", "CONFIG"], rows)
        for o in failed:
            print(f"backupdesk: {o.file}: {o.message}", file=sys.stderr)
    return 1 if failed else 0
