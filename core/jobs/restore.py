"""The restore job: an artifact engine's backup, its tree (through its chain) and its dumps, or a
dump into a database; a backup of an engine that keeps its own repository is extracted from it
(core.jobs.repository)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from core import crypto
from core.backups import BackupInfo, artifact_copies, artifact_path, chain_of, get_backup
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus, JobTrigger
from core.destinations import atomic_file
from core.engines import Capability, can, keeps_repository
from core.engines.api import Artifact, ArtifactCopy
from core.engines.archive import owners
from core.engines.archive.restore import CHUNK, check_target, restore_tree, select
from core.engines.dumps import ops as dumps
from core.errors import DestinationError, EngineError, UsageError
from core.fmt import count
from core.hosts import check_readable_here
from core.jobs.lifecycle import job
from core.progress import CancelToken, ProgressCallback, no_progress
from core.remote import fetch
from core.remote.fetch import HashingReader
from core.remote.resolve import Resolve, for_catalogue
from core.run_prep import read_manifest

DUMPS_DIR = "databases"


@dataclass
class RestoreResult:
    job_id: int
    backup_id: int
    files: int = 0
    bytes: int = 0
    dumps: list[str] = field(default_factory=list)
    loaded_into: str | None = None
    problems: list[str] = field(default_factory=list)  # what was not restored, one line each

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "backup_id": self.backup_id, "files": self.files,
                "bytes": self.bytes, "dumps": self.dumps, "loaded_into": self.loaded_into,
                "problems": self.problems}


def chain_archives(cat: Catalogue, b: BackupInfo, remotes: Resolve | None = None
                   ) -> Callable[[str], list[ArtifactCopy]]:
    """The copies of the files archive of each backup of b's chain, by backup name (one at a
    remote destination is read as a stream, never downloaded first)."""
    chain = {x.name: x for x in chain_of(cat, b.id)}
    remotes = remotes or for_catalogue(cat)

    def open_archive(name: str) -> list[ArtifactCopy]:
        owner = chain.get(name)
        if owner is None:
            raise EngineError(f"Backup {name}, which holds part of backup {b.id}, is gone.")
        arts = [a for a in owner.artifacts if a.kind == "files"]
        if not arts:
            raise EngineError(f"Backup {owner.id} has no files archive.")
        return artifact_copies(owner, arts[0].name, remotes)

    return open_archive


def restore_backup(cat: Catalogue, backup_id: int, *, to: Path | None = None,
                   paths: list[str] | None = None, overwrite: bool = False,
                   into_database: str | None = None, dump: str | None = None,
                   trigger: str = JobTrigger.MANUAL.value, numeric_owner: bool = False,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None) -> RestoreResult:
    """Restore into the folder `to`, or load a dump into the database `into_database`.

    Entries that cannot be restored are in result.problems (the job ends partial); the others
    are restored. As root, owners are restored by name where this system knows it, else by
    number (always by number with `numeric_owner`)."""
    b = get_backup(cat, backup_id)
    if keeps_repository(b.engine) and to is not None and into_database is None:
        from core.jobs import repository  # only their jobs load repository engines

        job_id, files, size = repository.restore_backup(
            cat, b.id, to, paths=paths, overwrite=overwrite, trigger=trigger,
            progress=progress, cancel=cancel)
        return RestoreResult(job_id, b.id, files, size)
    if keeps_repository(b.engine) or not can(b.engine, Capability.RESTORE):
        raise UsageError(f"Backup {b.id} was made by the {b.engine} engine; restore it there.")
    if (to is None) == (into_database is None):
        raise UsageError("Restore needs either a target folder (--to) or --into-database.")
    if to is not None:
        check_target(to, overwrite)
    check_readable_here(cat, b)
    with job(cat, kind=JobKind.RESTORE.value, engine=b.engine, plan_id=b.plan_id,
             plan_name=b.plan, trigger=trigger, details={"backup_id": b.id},
             progress=progress, cancel=cancel) as j:
        result = RestoreResult(j.id, b.id)
        if into_database is not None:
            _load(b, into_database, dump, j.cancel, for_catalogue(cat))
            result.loaded_into = dumps.redact(into_database)
            j.log(f"Loaded into {result.loaded_into}.")
        else:
            assert to is not None
            _restore_files(cat, b, to, paths or [], j.progress, j.cancel, result,
                           numeric_owner)
            j.log([f"Restored {count(result.files, 'file')} and "
                   f"{count(len(result.dumps), 'dump')} to {to}.", *result.problems])
        j.end.bytes, j.end.files = result.bytes, result.files
        if result.problems:
            j.end.status = JobStatus.PARTIAL
            j.end.error = (f"{count(len(result.problems), 'entry', 'entries')} not restored; "
                           f"the first: {result.problems[0]}")
    return result


def _restore_files(cat: Catalogue, b: BackupInfo, to: Path, paths: list[str],
                   progress: ProgressCallback, cancel: CancelToken,
                   result: RestoreResult, numeric_owner: bool) -> None:
    remotes = for_catalogue(cat)
    manifest = read_manifest(b, remotes)
    roots = manifest.get("roots", {})
    dumps_dir = DUMPS_DIR if DUMPS_DIR not in roots else f"{DUMPS_DIR}-dumps"
    db_arts = [a for a in b.artifacts if a.kind == "database"]
    want_dumps = [a for a in db_arts if not paths or any(
        p.strip("/") in (dumps_dir, f"{dumps_dir}/{a.name}") for p in paths)]
    tree_paths = [p for p in paths if p.strip("/").split("/")[0] != dumps_dir]
    entries = [] if paths and not tree_paths else select(manifest["entries"], tree_paths)
    if paths and not entries and not want_dumps:
        raise UsageError("Nothing in this backup matches the given paths.")
    open_archive = chain_archives(cat, b, remotes)
    if entries:
        stats = restore_tree(entries, open_archive, to, progress=progress, cancel=cancel,
                             names=owners.Names(manifest, numeric_owner),
                             identities=manifest.identities)
        result.files, result.bytes, result.problems = stats.files, stats.bytes, stats.problems
    for a in want_dumps:
        out = to / dumps_dir
        out.mkdir(parents=True, exist_ok=True)
        final = out / a.name.removesuffix(crypto.SUFFIX)
        result.bytes += _save_dump(b, a, remotes, final, manifest.identities, cancel)
        result.dumps.append(str(final))


def _save_dump(b: BackupInfo, art: Artifact, remotes: Resolve, final: Path,
               identities: Sequence[Any], cancel: CancelToken) -> int:
    """The dump from its healthiest copy into `final` (decrypted for an encrypted plan), the
    stored bytes' SHA-256 checked as they stream (a remote copy is never kept on disk);
    nothing under `final` unless whole and right. Its size."""
    where = f"The dump {art.name} of backup {b.id}"
    tried = []
    for copy in artifact_copies(b, art.name, remotes):
        try:
            with copy.open(cancel) as raw, atomic_file(final) as out:
                stored = HashingReader(raw, cancel)
                try:
                    with (crypto.decrypting(stored, identities, where)
                          if art.name.endswith(crypto.SUFFIX) else nullcontext(stored)) as plain:
                        size = _pour(plain, out)
                except EngineError as e:  # damage seen by the decryption: say so
                    if stored.drain() != art.sha256:
                        raise EngineError(f"{where} at {copy} is damaged.") from e
                    raise
                if stored.drain() != art.sha256:
                    raise EngineError(f"{where} at {copy} is damaged.")
            return size
        except (DestinationError, EngineError) as e:  # damaged or unreached: the next copy
            tried.append(str(e))
    if len(tried) == 1:
        raise EngineError(tried[0])
    raise EngineError(f"{where} cannot be read ({' '.join(tried)})")


def _pour(src: IO[bytes] | io.RawIOBase, out: IO[bytes]) -> int:
    size = 0
    while chunk := src.read(CHUNK):
        out.write(chunk)
        size += len(chunk)
    return size


def _checked_dump(b: BackupInfo, art: Artifact, remotes: Resolve) -> Path:
    """The dump's file at a healthy destination (from a remote one, a checked download), its
    SHA-256 checked."""
    return artifact_path(b, art.name, remotes, checked=True)


def _load(b: BackupInfo, url: str, name: str | None, cancel: CancelToken,
          remotes: Resolve) -> None:
    target = dumps.parse(url)
    candidates = [a for a in b.artifacts if a.kind == "database"
                  and (a.name == name if name else a.meta.get("kind") == target.kind)]
    if not candidates:
        what = f"a dump named {name}" if name else f"a {target.kind} dump"
        raise UsageError(f"Backup {b.id} has no {what}.")
    if len(candidates) > 1:
        names = ", ".join(a.name for a in candidates)
        raise UsageError(f"Backup {b.id} has several dumps ({names}); choose one with --dump.")
    art: Artifact = candidates[0]
    if art.meta.get("kind") != target.kind:
        raise UsageError(f"{art.name} is a {art.meta.get('kind')} dump; it cannot be loaded "
                         f"into a {target.kind} database.")
    # Staged, not streamed: a dump is applied as it is read, so its SHA-256 is checked before
    # the load starts, as for a local copy (a damaged copy found at its end would leave a
    # half-loaded database).
    path = _checked_dump(b, art, remotes)
    try:
        if not art.name.endswith(crypto.SUFFIX):
            dumps.load(target, path, cancel)
            return
        keys = read_manifest(b, remotes).identities
        with tempfile.TemporaryDirectory(prefix="backupdesk-load-") as tmp:
            plain = Path(tmp) / art.name.removesuffix(crypto.SUFFIX)
            crypto.decrypt_file(path, plain, keys, f"The dump {art.name} of backup {b.id}")
            dumps.load(target, plain, cancel)
    finally:
        fetch.release(path)
