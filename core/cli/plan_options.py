"""`plan add`'s engine options, bound to each engine's schema (core.engines.schema).

A flag two engines declare is taken once and read by the plan's engine with its own grammar;
a flag of another engine is refused (exit 2), never silently dropped."""

from __future__ import annotations

import argparse
from typing import Any

from core import engines
from core.engines.schema import dest
from core.errors import UsageError

SETUP_FLAGS = ("--init", "--existing")


def add_flags(parser: argparse.ArgumentParser) -> None:
    actions: dict[str, argparse.Action] = {}
    for spec in engines.engines().values():
        group = parser.add_argument_group(f"{spec.name} engine")
        for o in spec.options.options:
            for flag in o.flags:
                if flag in actions:  # declared by an earlier engine too
                    continue
                shown = flag == o.flags[0] and o.help
                actions[flag] = group.add_argument(
                    flag, dest=dest(flag), help=o.help if shown else argparse.SUPPRESS,
                    **o.argument())
        if spec.storage is engines.Storage.REPOSITORY and "--init" not in actions:
            setup = group.add_mutually_exclusive_group()
            actions["--init"] = setup.add_argument(
                "--init", dest="repository_setup", action="store_const", const="init",
                help="create a new repository (borg init)")
            actions["--existing"] = setup.add_argument(
                "--existing", dest="repository_setup", action="store_const",
                const="existing", help="use an existing repository (the default)")


def options_from_args(engine: str, a: argparse.Namespace) -> dict[str, Any]:
    """The options the command line gives for a plan of `engine`; UsageError for a flag that
    is not this engine's."""
    spec = engines.get(engine)
    own = spec.options.flags
    for other in engines.engines().values():
        for o in other.options.options:
            for flag in o.given(a):
                if flag not in own:
                    raise UsageError(f"{flag} is an option of {other.name} plans, not of "
                                     f"{engine} plans.")
    if getattr(a, "repository_setup", None) and spec.storage is not engines.Storage.REPOSITORY:
        flag = "--init" if a.repository_setup == "init" else "--existing"
        raise UsageError(f"{flag} sets up a repository; {engine} plans keep none.")
    return spec.options.from_args(a)
