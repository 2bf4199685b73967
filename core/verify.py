"""Verify backups: every artifact at every destination is ok, missing, size_mismatch or corrupt,
or unverified when the copy could not be reached (a borg repository moved away, busy, or with
a wrong passphrase): that is no verdict on the copy, so it is reported and not stored.

Hashes run in a thread pool (hashlib releases the GIL), one artifact per task, largest first.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from core.backups import BackupInfo, LocationInfo
from core.catalogue.enums import LocationState
from core.checksum import hash_file as hash_file  # core.jobs.restore, restore_check import it
from core.checksum import written_digest
from core.engines.api import Artifact
from core.errors import BackupDeskError, CancelledError
from core.fmt import count, plural
from core.progress import CancelToken, Progress, ProgressCallback, no_progress
from core.remote.location import Remote, is_remote, relative
from core.remote.place import hash_mismatch
from core.remote.rclone import Rclone, RemoteError
from core.remote.resolve import Resolve

Check = Callable[[threading.Event, list[int]], "ArtifactResult"]

UNREACHED = LocationState.UNVERIFIED.value
SEVERITY = {LocationState.OK.value: 0, LocationState.SIZE_MISMATCH.value: 2,
            LocationState.CORRUPT.value: 3, LocationState.MISSING.value: 4}


@dataclass(frozen=True)
class ArtifactResult:
    """How one artifact of a copy verified."""
    name: str
    state: str
    size: int | None = None
    error: str = ""


@dataclass
class LocationResult:
    """How one copy of a backup verified."""
    backup_id: int
    location_id: int
    destination: str
    path: str
    state: str = LocationState.OK.value
    artifacts: list[ArtifactResult] = field(default_factory=list)
    error: str = ""  # why the copy could not be verified (state unverified)

    def to_json(self) -> dict[str, Any]:
        return {"backup_id": self.backup_id, "location_id": self.location_id,
                "destination": self.destination, "path": self.path, "state": self.state,
                **({"error": self.error} if self.error else {}),
                "artifacts": [{"name": a.name, "state": a.state, "size": a.size,
                               **({"error": a.error} if a.error else {})}
                              for a in self.artifacts]}


@dataclass
class VerifyReport:
    """How the copies of a verify run verified, and the bytes read."""
    locations: list[LocationResult]
    bytes: int = 0

    @property
    def all_ok(self) -> bool:
        return all(loc.state == LocationState.OK.value for loc in self.locations)

    @property
    def unreached(self) -> list[LocationResult]:
        """Copies that could not be verified."""
        return [r for r in self.locations if r.state == UNREACHED]

    @property
    def bad(self) -> list[LocationResult]:
        """Copies found missing, damaged or corrupt."""
        return [r for r in self.locations if r.state not in (LocationState.OK.value, UNREACHED)]

    def problem(self) -> str | None:
        """One sentence on what is not ok; None when everything is."""
        bad, unreached = len(self.bad), len(self.unreached)
        parts = [f"{count(bad, 'copy')} {plural(bad, 'is')} missing, damaged or "
                 "corrupt"] if bad else []
        if unreached:
            parts.append(f"{count(unreached, 'copy')} could not be verified")
        return "; ".join(parts) + "." if parts else None


def check_artifact(path: Path, art: Artifact, stop: threading.Event | None = None,
                   counter: list[int] | None = None) -> ArtifactResult:
    try:
        st = path.stat()
    except FileNotFoundError:
        return ArtifactResult(art.name, LocationState.MISSING.value)
    except OSError as e:
        return ArtifactResult(art.name, LocationState.MISSING.value, error=str(e.strerror))
    size = st.st_size
    if size != art.size:
        return ArtifactResult(art.name, LocationState.SIZE_MISMATCH.value, size)
    digest = written_digest(st)  # the verify right after a backup (see core.checksum)
    if digest is not None and counter is not None:
        counter[0] += size
    elif digest is None:
        try:
            _, digest = hash_file(path, stop, counter)
        except OSError as e:
            return ArtifactResult(art.name, LocationState.CORRUPT.value, size, str(e.strerror))
    state = LocationState.OK.value if digest == art.sha256 else LocationState.CORRUPT.value
    return ArtifactResult(art.name, state, size)


def check_remote_artifact(rc: Rclone, rel: str, art: Artifact, stop: threading.Event,
                          counter: list[int]) -> ArtifactResult:
    """--deep at a remote: download and hash (nothing is kept)."""
    try:
        size, digest = rc.sha256_of(rel, stop, counter)
    except RemoteError as e:  # not reached (server gone, refused): nothing said of the copy
        return ArtifactResult(art.name, LocationState.MISSING.value if e.missing else UNREACHED,
                              error=str(e))
    if size != art.size:
        return ArtifactResult(art.name, LocationState.SIZE_MISMATCH.value, size)
    state = LocationState.OK.value if digest == art.sha256 else LocationState.CORRUPT.value
    return ArtifactResult(art.name, state, size)


def listed_result(entry: dict[str, Any] | None, art: Artifact) -> ArtifactResult:
    """A remote artifact judged from its listing: size always, and the remote's own hash
    where it has one (SHA-256, or MD5 against the MD5 taken while uploading)."""
    if entry is None:
        return ArtifactResult(art.name, LocationState.MISSING.value)
    size = int(entry.get("Size", -1))
    if size != art.size:
        return ArtifactResult(art.name, LocationState.SIZE_MISMATCH.value, size)
    bad = hash_mismatch(entry, art)
    return ArtifactResult(art.name, LocationState.CORRUPT.value if bad else
                          LocationState.OK.value, size)


def _remote_tasks(group: list[tuple[BackupInfo, LocationResult]], remote: Remote, deep: bool
                  ) -> list[tuple[LocationResult, Artifact, Check]]:
    """Checks of the copies at one remote destination: without `deep`, judged from one
    listing of the folder holding them all; with it, each downloaded and hashed."""
    rc = Rclone(remote)
    rels = {r.location_id: relative(remote.location, r.path) for _, r in group}
    tasks: list[tuple[LocationResult, Artifact, Check]] = []
    if deep:
        for b, r in group:
            tasks += [(r, a, partial(check_remote_artifact, rc, f"{rels[r.location_id]}/"
                                     f"{a.name}", a)) for a in b.artifacts]
        return tasks
    common = os.path.commonpath(["/" + rel for rel in rels.values()]).strip("/")
    try:
        listing = {("/" + common + "/" + e["Path"]).strip("/"): e
                   for e in rc.lsjson(common, recursive=True, files_only=True, hashes=True)}
    except RemoteError as e:
        if not e.missing:
            for _, r in group:
                r.state, r.error = UNREACHED, str(e)
            return []
        listing = {}
    for b, r in group:
        rel = rels[r.location_id]
        r.artifacts += [listed_result(listing.get(f"{rel}/{a.name}".strip("/")), a)
                        for a in b.artifacts]
    return tasks


def verify_locations(targets: list[tuple[BackupInfo, LocationInfo]], *,
                     progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None,
                     workers: int | None = None, deep: bool = False,
                     remotes: Resolve | None = None) -> VerifyReport:
    """Check every artifact of every (backup, location); stores nothing. A copy at a remote
    destination is checked by size and the remote's hash, or downloaded with `deep`."""
    cancel = cancel or CancelToken()
    results: list[LocationResult] = []
    tasks: list[tuple[LocationResult, Artifact, Check]] = []
    at_remotes: dict[tuple[int | None, str], list[tuple[BackupInfo, LocationResult]]] = {}
    for b, loc in targets:
        r = LocationResult(b.id, loc.id, loc.destination, loc.path)
        results.append(r)
        if is_remote(loc.destination):
            at_remotes.setdefault((b.plan_id, loc.destination), []).append((b, r))
            continue
        tasks += [(r, a, partial(check_artifact, Path(loc.path) / a.name, a))
                  for a in b.artifacts]
    for (plan_id, location), group in at_remotes.items():
        try:
            if remotes is None:
                raise BackupDeskError(f"No settings to reach {location}.")
            tasks += _remote_tasks(group, remotes(plan_id, location), deep)
        except BackupDeskError as e:
            for _, r in group:
                r.state, r.error = UNREACHED, str(e)
    tasks.sort(key=lambda t: t[1].size, reverse=True)
    total = sum(t[1].size for t in tasks)
    stop = threading.Event()
    counters = [[0] for _ in tasks]
    workers = workers or os.cpu_count() or 1
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
        futs = {pool.submit(fn, stop, c): r
                for (r, _, fn), c in zip(tasks, counters, strict=True)}
        pending = set(futs)
        try:
            while pending:
                done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                for f in done:
                    futs[f].artifacts.append(f.result())
                progress(Progress("verifying", sum(c[0] for c in counters), total,
                                  len(futs) - len(pending), len(futs)))
                if cancel.cancelled:
                    stop.set()
                    raise CancelledError("Cancelled by the user.")
        finally:
            stop.set()
            for f in pending:
                f.cancel()
    for r in results:
        if r.state == UNREACHED:
            continue
        r.state = max((a.state for a in r.artifacts), key=lambda s: SEVERITY.get(s, 1),
                      default=LocationState.OK.value)
        if r.state == UNREACHED:
            r.error = next(a.error for a in r.artifacts if a.state == UNREACHED)
    return VerifyReport(results, sum(c[0] for c in counters))
