"""Backups in the catalogue: listing with filters, chains, JSON, and where to read one from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.catalogue import backups as rows
from core.catalogue.enums import BACKUP_STATUSES, LocationState
from core.catalogue.models import Backup
from core.checksum import hash_file
from core.engines.api import Artifact, ArtifactCopy, LocalCopy
from core.errors import DestinationError, EngineError, NotFoundError
from core.remote.fetch import RemoteCopy, fetched
from core.remote.location import is_remote, relative
from core.timeutil import iso

if TYPE_CHECKING:
    from core.catalogue.db import Catalogue
    from core.remote.resolve import Resolve

DAMAGED = (LocationState.MISSING.value, LocationState.SIZE_MISMATCH.value,
           LocationState.CORRUPT.value)
# A backup's status, derived from its locations, as offered by the filters.
STATUSES = BACKUP_STATUSES


@dataclass(frozen=True)
class LocationInfo:
    """One stored copy of a backup: where it is and in what state."""
    id: int
    destination_id: int | None
    destination: str
    path: str
    state: str
    size: int | None
    verified_at: datetime | None
    verify_result: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "destination_id": self.destination_id,
                "destination": self.destination, "path": self.path, "state": self.state,
                "size": self.size, "verified_at": iso(self.verified_at),
                "verify_result": self.verify_result}


@dataclass(frozen=True)
class BackupInfo:
    """A backup as the CLI and the window show it, with its copies and artifacts."""
    id: int
    plan: str
    plan_id: int | None
    engine: str
    type: str
    parent_id: int | None
    name: str
    created_at: datetime
    size: int | None
    files: int | None
    sha256: str | None
    job_id: int | None
    details: dict[str, Any]
    locations: list[LocationInfo] = field(default_factory=list)

    @property
    def artifacts(self) -> list[Artifact]:
        return [Artifact.from_json(a) for a in self.details.get("artifacts", [])]

    @property
    def status(self) -> str:
        states = [loc.state for loc in self.locations]
        live = [s for s in states if s != LocationState.DELETED.value]
        if not live:
            return "deleted"
        if any(s in DAMAGED for s in live):
            return "damaged"
        if any(s == LocationState.FAILED.value for s in live):
            return "incomplete"
        if all(s == LocationState.OK.value for s in live):
            return "ok"
        return "unverified"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "plan": self.plan, "plan_id": self.plan_id, "engine": self.engine,
            "type": self.type, "parent_id": self.parent_id, "name": self.name,
            "created_at": iso(self.created_at), "size": self.size, "files": self.files,
            "sha256": self.sha256, "job_id": self.job_id, "status": self.status,
            "artifacts": [a.to_json() for a in self.artifacts],
            "warnings": list(self.details.get("warnings", [])),
            "locations": [loc.to_json() for loc in self.locations],
        }


def _info(b: Backup) -> BackupInfo:
    return BackupInfo(
        b.id, b.plan_name, b.plan_id, b.engine, b.type, b.parent_id, b.name, b.created_at,
        b.size, b.files, b.sha256, b.job_id, dict(b.details or {}),
        [LocationInfo(loc.id, loc.destination_id, loc.destination, loc.path, loc.state,
                      loc.size, loc.verified_at, dict(loc.verify_result or {}))
         for loc in b.locations],
    )


@dataclass(frozen=True)
class BackupFilter:
    """Which backups a listing shows (empty: any)."""
    plans: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()


def list_backups(cat: Catalogue, flt: BackupFilter = BackupFilter()) -> list[BackupInfo]:
    """Matching backups, oldest first (status and destination filters apply after loading)."""
    items = [_info(b) for b in rows.load_backups(cat, plans=flt.plans, types=flt.types,
                                                 ids=flt.ids)]
    if flt.statuses:
        items = [b for b in items if b.status in flt.statuses]
    if flt.destinations:
        items = [b for b in items
                 if any(loc.destination in flt.destinations for loc in b.locations)]
    return items


def get_backup(cat: Catalogue, backup_id: int) -> BackupInfo:
    found = list_backups(cat, BackupFilter(ids=(backup_id,)))
    if not found:
        raise NotFoundError(f"No backup {backup_id}.")
    return found[0]


def chain_of(cat: Catalogue, backup_id: int) -> list[BackupInfo]:
    """The backup's chain from its full to itself."""
    chain = [get_backup(cat, backup_id)]
    while chain[0].parent_id is not None:
        chain.insert(0, get_backup(cat, chain[0].parent_id))
    return chain


def descendants(cat: Catalogue, backup_id: int) -> list[BackupInfo]:
    """Every backup that depends on this one (its incrementals, theirs, ...)."""
    children: dict[int, list[int]] = {}
    for bid, parent in rows.parent_links(cat):
        if parent is not None:
            children.setdefault(parent, []).append(bid)
    out: list[int] = []
    todo = list(children.get(backup_id, []))
    while todo:
        bid = todo.pop(0)
        out.append(bid)
        todo.extend(children.get(bid, []))
    return list_backups(cat, BackupFilter(ids=tuple(out))) if out else []


def as_tree(items: list[BackupInfo]) -> list[tuple[int, BackupInfo]]:
    """(depth, backup) with each full followed by its incrementals; orphans at depth 0."""
    ids = {b.id for b in items}
    kids: dict[int, list[BackupInfo]] = {}
    roots: list[BackupInfo] = []
    for b in items:
        if b.parent_id is not None and b.parent_id in ids:
            kids.setdefault(b.parent_id, []).append(b)
        else:
            roots.append(b)
    out: list[tuple[int, BackupInfo]] = []

    def walk(b: BackupInfo, depth: int) -> None:
        out.append((depth, b))
        for k in kids.get(b.id, []):
            walk(k, depth + 1)

    for r in roots:
        walk(r, 0)
    return out


def readable_locations(b: BackupInfo, remotes: Resolve | None = None) -> list[LocationInfo]:
    """Locations to read from, healthiest first, local before remote (those only with
    `remotes`, which reaches them); raises if there is none."""
    rank = {LocationState.OK.value: 0, LocationState.UNVERIFIED.value: 1}
    locs = sorted((loc for loc in b.locations if loc.state in rank and (
                       remotes is not None if is_remote(loc.destination)
                       else Path(loc.path).is_dir())),
                  key=lambda loc: (is_remote(loc.destination), rank[loc.state]))
    if not locs:
        raise EngineError(f"Backup {b.id} has no healthy copy at any destination.")
    return locs


def artifact_copies(b: BackupInfo, name: str, remotes: Resolve | None = None
                    ) -> list[ArtifactCopy]:
    """The named artifact of `b` at each healthy destination that has it, healthiest first,
    local before remote (a remote copy is read as a stream, checked as it goes)."""
    art = next((a for a in b.artifacts if a.name == name), None)
    out: list[ArtifactCopy] = []
    for loc in readable_locations(b, remotes):
        if not is_remote(loc.destination):
            if (Path(loc.path) / name).is_file():
                out.append(LocalCopy(Path(loc.path) / name))
        elif remotes is not None and art is not None:
            out.append(RemoteCopy(remotes(b.plan_id, loc.destination),
                                  f"{relative(loc.destination, loc.path)}/{name}", art))
    if not out:
        raise EngineError(f"{name} of backup {b.id} is missing at every destination.")
    return out


def artifact_path(b: BackupInfo, name: str, remotes: Resolve | None = None, *,
                  checked: bool = False) -> Path:
    """The named artifact of `b` from its healthiest destination that has it (from a remote
    one, a checked download); `checked`: a local copy without the artifact's SHA-256 gives way
    to the next copy too."""
    tried = []
    for loc in readable_locations(b, remotes):
        if remotes is not None and is_remote(loc.destination):
            art = next((a for a in b.artifacts if a.name == name), None)
            if art is None:
                break
            try:
                return fetched(remotes(b.plan_id, loc.destination),
                               f"{relative(loc.destination, loc.path)}/{name}", art)
            except DestinationError as e:
                tried.append(str(e))
                continue
        p = Path(loc.path) / name
        if p.is_file():
            art = next((a for a in b.artifacts if a.name == name), None)
            if not checked or art is None or hash_file(p)[1] == art.sha256:
                return p
            tried.append(f"the copy at {p.parent} is damaged")
    if tried:
        raise EngineError(f"{name} of backup {b.id} has no good copy: {'; '.join(tried)}.")
    raise EngineError(f"{name} of backup {b.id} is missing at every destination.")
