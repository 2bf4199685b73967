"""An engine's contract with the job layer: typed requests in, typed results out, a progress
callback and a cancel token. Engines never touch the catalogue or the job layer; core.jobs runs
them inside a job and records what they return.

Two kinds of engine (core.engines.Storage): an `Engine` writes artifacts that the job layer
places at the plan's destinations; a `RepositoryEngine` keeps its own repository and reports
archives.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from core.progress import CancelToken, ProgressCallback


@dataclass(frozen=True)
class DatabaseTarget:
    """One database of a plan; `password` comes from core.secrets, never from the plan."""

    url: str
    password: str | None = None


@dataclass(frozen=True)
class Artifact:
    """One file of a backup, as stored at every destination."""

    name: str
    kind: str  # "files", "manifest", "database"
    size: int
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "size": self.size, "sha256": self.sha256,
                **({"meta": self.meta} if self.meta else {})}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Artifact:
        return cls(str(d["name"]), str(d["kind"]), int(d["size"]), str(d["sha256"]),
                   dict(d.get("meta") or {}))


class ArtifactCopy(Protocol):
    """One copy of an artifact: a local file, or a remote object read as a stream."""

    @property
    def name(self) -> str:
        """The artifact's file name: its suffixes say how to read it."""
        ...

    def open(self, cancel: CancelToken | None = None) -> AbstractContextManager[IO[bytes]]:
        """Its bytes. A copy that checks its whole (a remote one) does so when the block
        ends: DestinationError when they are not the artifact's."""
        ...


@dataclass(frozen=True)
class LocalCopy:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def open(self, cancel: CancelToken | None = None) -> AbstractContextManager[IO[bytes]]:
        return open(self.path, "rb")

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class RunRequest:
    """What an engine's run is asked to back up, and how."""
    plan_id: int
    plan_name: str
    sources: list[str]
    excludes: list[str]
    options: dict[str, Any]
    databases: list[DatabaseTarget]
    mode: str  # "full" or "incremental"
    backup_name: str
    work_dir: Path  # the engine writes its artifacts here, each atomically
    previous_manifest: dict[str, Any] | None = None  # the chain's last manifest (incremental)


# A regular file a backup holds, as the file index takes it: (path bytes, size, mtime_ns, the
# first 48 bits of its SHA-256 or None where the engine has no digest).
FileRow = tuple[bytes, int | None, int | None, int | None]


@dataclass
class RunResult:
    """What an engine's run wrote."""
    type: str  # "full" or "incremental"
    artifacts: list[Artifact]
    files: int = 0
    source_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # The manifest's bytes as the engine wrote them, before any encryption: the job layer's file
    # index takes the backup's file list from them without reading the manifest back.
    manifest: bytes | None = field(default=None, repr=False)
    # A full run's regular files, each as the engine stored it (None for an incremental, whose
    # unchanged files it did not look at): the index takes them without parsing the manifest.
    listing: list[FileRow] | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return sum(a.size for a in self.artifacts)


class Engine(Protocol):
    name: str

    def run(self, req: RunRequest, progress: ProgressCallback, cancel: CancelToken) -> RunResult:
        """Write the backup's artifacts into req.work_dir; raise BackupDeskError on failure."""
        ...


# Engines that keep their own repository (Storage.REPOSITORY).

# Error kinds (core.errors' BackupDeskError.kind) a repository engine raises and the job layer
# tells apart; its other failures mean "the repository could not be read", no verdict.
ARCHIVE_MISSING = "archive-missing"  # the repository answered: no such archive
DAMAGED = "damaged"  # a check ran and found damage


@dataclass(frozen=True)
class RepoTarget:
    """A plan's repository as the job layer hands it to the engine: plain values, no ORM."""

    plan_id: int
    plan_name: str
    options: dict[str, Any]
    secret: str | None = None  # the plan's stored secret, named by engine.secret_name()
    home: Path | None = None  # Backup Desk's home: the engine keeps its own state under it
    state_dir: Path | None = None  # for the engine's small state files (caches, stamps)
    location: str | None = None  # a backup's recorded repository, over the plan's option


@dataclass(frozen=True)
class ArchiveEntry:
    """An archive in a repository."""
    id: str
    name: str
    start: datetime | None


@dataclass(frozen=True)
class ArchiveStats:
    """An archive a run created, with its sizes."""
    id: str
    name: str
    start: datetime | None
    end: datetime | None
    original_size: int
    compressed_size: int
    deduplicated_size: int
    files: int
    hostname: str = ""
    username: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "original_size": self.original_size,
                "compressed_size": self.compressed_size,
                "deduplicated_size": self.deduplicated_size, "files": self.files,
                "hostname": self.hostname, "username": self.username}


@dataclass
class CreateResult:
    """A created archive and the engine's log and warnings."""
    stats: ArchiveStats
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # What the engine said of each path it saw, (status, path) as borg's `create --list`
    # writes them; None when it did not say.
    listed: list[tuple[str, str]] | None = None


class Creating(Protocol):
    """An archive being made (Repository.start_create): `result()` waits for the engine; a
    `with` block left without it stops the engine's program."""

    def __enter__(self) -> Creating: ...

    def __exit__(self, *exc: object) -> None: ...

    def result(self) -> CreateResult: ...


@dataclass
class PruneResult:
    """The plan's archives that its keep rules prune (or, dry run, would) and keep."""

    pruned: list[ArchiveEntry]
    kept: list[ArchiveEntry]
    log: list[str] = field(default_factory=list)


@dataclass
class RepoInfo:
    """A repository's encryption and size."""
    encryption: str  # e.g. "repokey", "none"
    stored_bytes: int
    data: dict[str, Any]  # the engine's own description (`backupdesk info --json`)
    log: list[str] = field(default_factory=list)


class Repository(Protocol):
    """One plan's repository, opened by RepositoryEngine.open(). Methods that change the
    repository expect the caller to hold `lock_key` (the job layer's job lock)."""

    location: str  # one spelling per repository
    lock_key: str
    keep: dict[str, int]  # the plan's keep rules; none: nothing is pruned
    prune_after_run: bool
    compact_after_run: bool

    def ready(self) -> None:
        """Raise ToolMissingError when the engine's program cannot be used."""

    def unchanged(self) -> bool:
        """Nobody wrote to the repository since remember() (False when it cannot tell)."""

    def remember(self) -> None:
        """Note the repository's state after one of our jobs (see unchanged())."""

    def init(self, cancel: CancelToken) -> list[str]:
        """Create the repository; its log."""

    def info(self, cancel: CancelToken, *, adopt: bool = False) -> RepoInfo:
        """The repository's description; `adopt`: the user chose this existing repository."""

    def create(self, sources: Sequence[str], excludes: Sequence[str], when: datetime,
               progress: ProgressCallback, cancel: CancelToken) -> CreateResult:
        """Make an archive of the plan, named by the engine for the plan at `when`."""

    def start_create(self, sources: Sequence[str], excludes: Sequence[str], when: datetime,
                     progress: ProgressCallback, cancel: CancelToken) -> Creating:
        """create()'s first half: the engine's program is started and works while the caller
        does its own; `result()` waits for it."""

    def prune(self, *, dry_run: bool, cancel: CancelToken) -> PruneResult:
        """The archives of the plan's naming that its keep rules prune; with dry_run nothing
        changes. The job layer vets the list against its record before it deletes."""

    def plan_name(self, archive: str) -> str:
        """The name `archive` (made by this plan) gets under the plan's current naming."""

    def delete(self, archives: Sequence[str], cancel: CancelToken) -> list[str]:
        """Delete exactly these archives, at once."""

    def rename(self, old: str, new: str, cancel: CancelToken) -> list[str]: ...

    def compact(self, progress: ProgressCallback, cancel: CancelToken) -> list[str]: ...

    def check(self, progress: ProgressCallback, cancel: CancelToken, *,
              verify_data: bool = False, archive: str | None = None) -> list[str]:
        """Check the repository (or one archive); damage raises an error of kind DAMAGED."""

    def list_archives(self, cancel: CancelToken) -> list[ArchiveEntry]: ...

    def archive_info(self, archive: str, cancel: CancelToken) -> ArchiveStats:
        """An error of kind ARCHIVE_MISSING when there is no such archive."""

    def extract(self, archive: str, to: Path, paths: Sequence[str],
                progress: ProgressCallback, cancel: CancelToken) -> list[str]:
        """Extract into the folder `to` (full original paths)."""

    def break_lock(self, cancel: CancelToken) -> list[str]: ...

    def browse(self, archive: str, sink: Any, progress: ProgressCallback,
               cancel: CancelToken) -> Any:
        """Stream the archive's listing into `sink` (the engine's tree type); returns it."""


class RepositoryEngine(Protocol):
    name: str

    def secret_name(self, plan_id: int) -> str:
        """The secret store's key of a plan's repository secret (its passphrase)."""

    def open(self, target: RepoTarget) -> Repository:
        """The plan's repository (ConfigError for invalid options); runs nothing yet."""
