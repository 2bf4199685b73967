"""Entry point: global options, subcommand dispatch, one error path."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from core import __version__, startup, tell
from core.cli.context import CliContext
from core.config import HOME_ENV, AppConfig
from core.errors import BackupDeskError

log = logging.getLogger("backupdesk")

# Each module adds its subcommands with `register(subparsers)`; handlers take (ctx, args).
COMMAND_MODULES = [
    "core.cli.history_cmd",
    "core.cli.plan_cmd",
    "core.cli.screenshot_cmd",
    "core.cli.grid_cmd",
    "core.cli.run_cmd",
    "core.cli.backup_cmds",
    "core.cli.borg_cmd",
    "core.cli.schedule_cmd",
    "core.cli.crypt_cmd",
    "core.cli.catalogue_cmd",
    "core.cli.findex_cmd",
    "core.cli.borgmatic_cmd",
]
# Which module registers each subcommand, so that one command loads only its own module (and
# the GUI none). tests/core/cli/test_cli_registry.py keeps it in step with the modules.
COMMANDS = {
    "history": "core.cli.history_cmd",
    "borgmatic": "core.cli.borgmatic_cmd",
    "plan": "core.cli.plan_cmd",
    "screenshot": "core.cli.screenshot_cmd",
    "grid": "core.cli.grid_cmd",
    "node": "core.cli.grid_cmd",
    "serve": "core.cli.grid_cmd",
    "run": "core.cli.run_cmd",
    "backups": "core.cli.backup_cmds",
    "verify": "core.cli.backup_cmds",
    "restore": "core.cli.backup_cmds",
    "copy-out": "core.cli.backup_cmds",
    "delete": "core.cli.backup_cmds",
    **dict.fromkeys(("find", "diff", "reindex"), "core.cli.findex_cmd"),
    **dict.fromkeys(("refresh", "check", "compact", "repo-init", "repo-info", "archives",
                     "break-lock"), "core.cli.borg_cmd"),
    **dict.fromkeys(("service", "scheduler", "schedule", "prune", "status", "restore-test",
                     "notify-test"), "core.cli.schedule_cmd"),
    "key": "core.cli.crypt_cmd",
    "import": "core.cli.catalogue_cmd",
    "catalogue": "core.cli.catalogue_cmd",
}
_GLOBAL_WITH_VALUE = ("--home", "--catalogue")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"backupdesk: error: {message}\n")


def self_command() -> list[str]:
    """The command that runs this same backupdesk (a frozen bundle's executable is it)."""
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "core"]


def command_module(argv: Sequence[str]) -> str | None:
    """The one module `argv` needs ("" for the GUI), or None when every module is needed."""
    args = list(argv)
    i = 0
    while i < len(args):
        a = args[i]
        if a in _GLOBAL_WITH_VALUE:
            i += 2
        elif a.startswith(tuple(f"{o}=" for o in _GLOBAL_WITH_VALUE)) or a in ("-v",
                                                                               "--verbose"):
            i += 1
        elif a in ("gui", "--version"):  # the version is printed before any command is looked at
            return ""
        elif a.startswith("-"):
            return None  # --help, --version, or a typo: the full parser answers
        else:
            return COMMANDS.get(a)
    return ""


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    p = _Parser(prog="backupdesk", description="Backup Desk: backups in one place.")
    p.add_argument("--version", action="version", version=f"backupdesk {__version__}")
    p.add_argument("--home", metavar="DIR",
                   help="keep all state (catalogue, logs, settings) under DIR "
                        "(env BACKUPDESK_HOME)")
    p.add_argument("--catalogue", metavar="URL",
                   help="SQLAlchemy URL of the catalogue, e.g. postgresql://host/db "
                        "(env BACKUPDESK_CATALOGUE)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the main window (the default)")
    gui.add_argument("--exit-after-start", action="store_true",
                     help="open the window, wait until the catalogue is loaded and idle, print "
                          "start-up figures as JSON and exit (smoke tests, benchmarks)")
    gui.add_argument("--job", type=int, metavar="ID", help="open on this job (notifications)")
    gui.add_argument("--retry", action="store_true", help="with --job: run its plan again")
    gui.set_defaults(func=_run_gui)
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(name).register(sub)
    return p


def _run_gui(ctx: CliContext, args: argparse.Namespace) -> int:
    from gui.app import run_app

    return run_app(ctx.config, exit_after_start=getattr(args, "exit_after_start", False),
                   job=getattr(args, "job", None), retry=getattr(args, "retry", False))


def main(argv: Sequence[str] | None = None) -> int:
    startup.begin()
    if argv is None and sys.argv[1:2] == ["--grid-worker"]:
        # Hidden entry of the device grid's poller process in a frozen bundle (core.grid.worker).
        from core.grid.worker import child_main

        startup.end()
        sys.argv = [sys.argv[0], *sys.argv[2:]]
        child_main()
        return 0
    argv = sys.argv[1:] if argv is None else list(argv)
    needed = command_module(argv)
    parser = build_parser(None if needed is None else [needed] if needed else [])
    args = parser.parse_args(argv)
    config = AppConfig.resolve(args.home, args.catalogue)
    ctx = CliContext(config)
    func = getattr(args, "func", _run_gui)
    # The given home is this process's home: code that resolves the app's folders without
    # being handed them (AppPaths.resolve()) finds it too, and so do child processes.
    saved_home = os.environ.get(HOME_ENV)
    if config.paths.home is not None:
        os.environ[HOME_ENV] = str(config.paths.home)
    try:
        from core.logsetup import setup_logging  # logging.handlers: not for --version, --help

        setup_logging(config.paths.log_dir, verbose=args.verbose)
        if func is not _run_gui:  # the window's scheduler installs it after the first paint
            tell.install(config.paths)
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
        clear = ctx.catalogue_error(e)
        if clear is not None:
            log.error("%s", clear, exc_info=e)
            print(f"backupdesk: {clear}", file=sys.stderr)
            return clear.exit_code
        log.exception("unexpected error")
        print(f"backupdesk: internal error: {type(e).__name__}: {e} "
              f"(details in {config.paths.log_dir})", file=sys.stderr)
        return 1
    finally:
        ctx.close()
        if saved_home is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = saved_home


if __name__ == "__main__":
    sys.exit(main())
