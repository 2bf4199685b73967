"""Entry point: global options, subcommand dispatch, one error path."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from core import __version__
from core.cli import backup_cmds, grid_cmd, history_cmd, plan_cmd, screenshot_cmd
from core.cli.context import CliContext
from core.config import AppConfig
from core.errors import BackupDeskError

log = logging.getLogger("backupdesk")

# Each module adds its subcommands with `register(subparsers)`; handlers take (ctx, args).
COMMAND_MODULES = [history_cmd, plan_cmd, screenshot_cmd, grid_cmd, backup_cmds]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"backupdesk: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="backupdesk", description="Backup Desk: backups in one place.")
    p.add_argument("--version", action="version", version=f"backupdesk {__version__}")
    p.add_argument("--home", metavar="DIR",
                   help="keep all state (catalogue, logs, settings) under DIR "
                        "(env BACKUPDESK_HOME)")
    p.add_argument("--catalogue", metavar="URL",
                   help="SQLAlchemy URL of the catalogue, e.g. postgresql+psycopg://host/db "
                        "(env BACKUPDESK_CATALOGUE)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the main window (the default)")
    gui.add_argument("--exit-after-start", action="store_true",
                     help="open the window, wait until the catalogue is loaded and idle, print "
                          "start-up figures as JSON and exit (smoke tests, benchmarks)")
    gui.set_defaults(func=_run_gui)
    for mod in COMMAND_MODULES:
        mod.register(sub)
    return p


def _run_gui(ctx: CliContext, args: argparse.Namespace) -> int:
    from gui.app import run_app

    return run_app(ctx.config, exit_after_start=getattr(args, "exit_after_start", False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = AppConfig.resolve(args.home, args.catalogue)
    ctx = CliContext(config)
    func = getattr(args, "func", _run_gui)
    try:
        from core.logsetup import setup_logging

        setup_logging(config.paths.log_dir, verbose=args.verbose)
        return int(func(ctx, args) or 0)
    except BackupDeskError as e:
        log.info("%s: %s", type(e).__name__, e)
        print(f"backupdesk: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("backupdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:
        log.exception("unexpected error")
        print(f"backupdesk: internal error: {type(e).__name__}: {e} "
              f"(details in {config.paths.log_dir})", file=sys.stderr)
        return 1
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
