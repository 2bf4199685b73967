"""Engine registry: each engine names itself, declares what it can do and where it keeps its
backups, and adds its own plan options to the CLI.

An engine module registers an `EngineSpec`; the job layer, `core.plans`, `core.cli` and the
window look engines up here and never compare an engine's name.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Capability(StrEnum):
    """What an engine's plans and backups support (the window's buttons, the CLI's commands)."""

    RUN = "run"
    VERIFY = "verify"
    RESTORE = "restore"
    BROWSE = "browse"  # list an archive's contents from its repository
    DELETE = "delete"
    PRUNE = "prune"
    COMPACT = "compact"
    REFRESH = "refresh"  # find backups made outside the app
    COPY_OUT = "copy-out"  # copy a backup's files elsewhere
    RESTORE_TEST = "restore-test"
    DATABASES = "databases"  # dump databases with the files


class Storage(StrEnum):
    """Where an engine's backups live."""

    # The engine writes files (artifacts) that the job layer places at the plan's destinations.
    ARTIFACTS = "artifacts"
    # The engine keeps its own repository; the job layer records what it reports.
    REPOSITORY = "repository"


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
    capabilities: frozenset[Capability] = frozenset()
    storage: Storage = Storage.ARTIFACTS
    # Storage.REPOSITORY: the engine object (core.engines.api.RepositoryEngine), loaded on use.
    repository_engine: Callable[[], Any] | None = None

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities


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


def can(engine: str, capability: Capability) -> bool:
    """Whether plans of `engine` support `capability` (False for an unknown engine)."""
    _load_builtin()
    spec = _REGISTRY.get(engine)
    return spec is not None and capability in spec.capabilities


def keeps_repository(engine: str) -> bool:
    """Whether `engine` keeps its own repository (else the job layer places its artifacts)."""
    _load_builtin()
    spec = _REGISTRY.get(engine)
    return spec is not None and spec.storage is Storage.REPOSITORY


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    # Explicit imports so that bundlers see them.
    from core.engines import specs  # noqa: F401
