"""What the runner hands an engine and what it gets back; engines never touch the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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


@dataclass(frozen=True)
class RunRequest:
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


@dataclass
class RunResult:
    type: str  # "full" or "incremental"
    artifacts: list[Artifact]
    files: int = 0
    source_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(a.size for a in self.artifacts)


class Engine(Protocol):
    name: str

    def run(self, req: RunRequest, progress: ProgressCallback, cancel: CancelToken) -> RunResult:
        """Write the backup's artifacts into req.work_dir; raise BackupDeskError on failure."""
        ...
