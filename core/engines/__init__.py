"""Engine registry: each engine names itself and adds its own plan options to the CLI.

An engine module registers an `EngineSpec`; `core.plans` and `core.cli` look engines up here
and never special-case one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _no_options(_: argparse.ArgumentParser) -> None:
    pass


def _empty(_: argparse.Namespace) -> dict[str, Any]:
    return {}


def _accept(_: dict[str, Any]) -> None:
    pass


@dataclass(frozen=True)
class EngineSpec:
    name: str
    title: str
    # Adds engine options to `plan add`; defaults must be None so that unset stays unset.
    add_plan_options: Callable[[argparse.ArgumentParser], None] = _no_options
    # Turns parsed `plan add` options into the plan's options dict.
    options_from_args: Callable[[argparse.Namespace], dict[str, Any]] = _empty
    # Raises ConfigError for an invalid options dict.
    validate_options: Callable[[dict[str, Any]], None] = _accept
    default_options: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, EngineSpec] = {}


def register(spec: EngineSpec) -> EngineSpec:
    _REGISTRY[spec.name] = spec
    return spec


def engines() -> dict[str, EngineSpec]:
    _load_builtin()
    return dict(_REGISTRY)


def get(name: str) -> EngineSpec:
    from core.errors import UsageError

    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UsageError(f"Unknown engine {name!r}; known engines: {known}.") from None


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # Explicit imports so that bundlers see them.
    from core.engines import specs  # noqa: F401
