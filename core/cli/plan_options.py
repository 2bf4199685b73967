"""`plan add`'s engine options, bound to each engine's schema (core.engines.schema).

A flag two engines declare is taken once and read by the plan's engine with its own grammar;
a flag of another engine is refused (exit 2), never silently dropped."""

from __future__ import annotations

import argparse
from typing import Any

from core import engines, plan_wide
from core.engines.schema import Keep, dest
from core.errors import UsageError


def add_flags(parser: argparse.ArgumentParser, *, setup: bool = True) -> None:
    """Every engine's option flags; `setup`: also --init/--existing (new plans)."""
    specs = list(engines.engines().values())
    owners: dict[str, list[str]] = {}
    for spec in specs:
        for o in spec.options.options:
            for flag in o.flags:
                owners.setdefault(flag, []).append(spec.name)
    shared = parser.add_argument_group(" and ".join(s.name for s in specs) + " engines")
    added: set[str] = set()
    for spec in specs:
        own = parser.add_argument_group(f"{spec.name} engine")
        for o in spec.options.options:
            for flag in o.flags:
                if flag in added:
                    continue
                added.add(flag)
                group = shared if len(owners[flag]) > 1 else own
                # An older spelling stays hidden; each keep rule is its own flag.
                shown = flag == o.flags[0] or isinstance(o, Keep)
                group.add_argument(flag, dest=dest(flag), **o.argument(),
                                   help=(o.help if flag == o.flags[0] else None) if shown
                                   else argparse.SUPPRESS)
        if setup and spec.storage is engines.Storage.REPOSITORY and "--init" not in added:
            added.add("--init")
            either = own.add_mutually_exclusive_group()
            either.add_argument("--init", dest="repository_setup", action="store_const",
                               const="init", help="create a new repository (borg init)")
            either.add_argument("--existing", dest="repository_setup", action="store_const",
                               const="existing", help="use an existing repository (the default)")
    for schema in plan_wide.SCHEMAS:
        group = parser.add_argument_group(schema.title.lower())
        for o in schema.options:
            for flag in o.flags:
                text = o.help_for(flag)
                group.add_argument(flag, dest=dest(flag), **o.argument(),
                                   help=text if text is not None else argparse.SUPPRESS)


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
    for schema in plan_wide.SCHEMAS:
        if schema.needs and schema.needs not in spec.capabilities:
            for o in schema.options:
                for flag in o.given(a):
                    raise UsageError(f"{flag} is an option of {schema.title}, which {engine} "
                                     f"plans do not have.")
    wide = {k: v for s in plan_wide.SCHEMAS for k, v in s.from_args(a).items()}
    return {**spec.options.from_args(a), **wide}


def edited_options(engine: str, stored: dict[str, Any], a: argparse.Namespace
                   ) -> dict[str, Any]:
    """`plan edit`: the stored options with those given changed. Keep rules are changed one
    by one (N = 0 drops the rule); a secret only with its own flag, never from the
    environment."""
    spec = engines.get(engine)
    given = options_from_args(engine, a)
    for secret in [*spec.options.secrets(), *(o for s in plan_wide.SCHEMAS for o in s.secrets())]:
        if not secret.given(a):
            given.pop(secret.name, None)
    if "keep" in given:
        keep = {**(stored.get("keep") or {}), **given["keep"]}
        given["keep"] = {u: n for u, n in keep.items() if n}
        if not given["keep"]:
            del given["keep"]
            stored.pop("keep", None)
    return {**stored, **given}
