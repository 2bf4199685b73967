"""Engine registry: each engine names itself, declares what it can do, where it keeps its
backups and its plan options (core.engines.schema).

An engine module registers an `EngineSpec`; the job layer, `core.plans`, `core.cli` and the
window look engines up here and never compare an engine's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.engines.schema import Schema
from core.errors import UsageError


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
    REMOTE_DESTINATIONS = "remote-destinations"  # sftp://, s3:// and rclone destinations


class Storage(StrEnum):
    """Where an engine's backups live."""

    # The engine writes files (artifacts) that the job layer places at the plan's destinations.
    ARTIFACTS = "artifacts"
    # The engine keeps its own repository; the job layer records what it reports.
    REPOSITORY = "repository"


def _same_glob(source: str | None, relative: str) -> str:
    return relative


@dataclass(frozen=True)
class EngineSpec:
    """An engine: its name, options and capabilities, and how to make it."""
    name: str
    title: str  # what a person chooses (the welcome's and the plan editor's choice)
    # The plan options: defaults, checks, `plan add` flags, the editor's choices.
    options: Schema = field(default_factory=lambda: Schema(()))
    capabilities: frozenset[Capability] = frozenset()
    storage: Storage = Storage.ARTIFACTS
    program: str | None = None  # a program the engine runs, that must be installed
    # An exclude pattern for `relative` below the source folder `source` (None: below any).
    exclude_glob: Callable[[str | None, str], str] = _same_glob
    # Storage.REPOSITORY: the engine object (core.engines.api.RepositoryEngine), loaded on use.
    repository_engine: Callable[[], Any] | None = None
    # Storage.ARTIFACTS: the engine object (core.engines.api.Engine), loaded on use.
    artifact_engine: Callable[[], Any] | None = None

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def default_options(self) -> dict[str, Any]:
        return self.options.defaults()

    def validate_options(self, opts: dict[str, Any]) -> dict[str, Any]:
        """`opts` in canonical spelling; ConfigError for an invalid or foreign one."""
        return self.options.validate(opts, self.name)


_REGISTRY: dict[str, EngineSpec] = {}


def register(spec: EngineSpec) -> EngineSpec:
    _REGISTRY[spec.name] = spec
    return spec


def engines() -> dict[str, EngineSpec]:
    _load_builtin()
    return dict(_REGISTRY)


def get(name: str) -> EngineSpec:
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
