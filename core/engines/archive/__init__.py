"""The archive engine: a tar of the sources (zstd, gzip or none), database dumps, a manifest."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from core import crypto
from core.beside import Beside
from core.checksum import remember_written
from core.destinations import atomic_file
from core.engines.api import Artifact, RunRequest, RunResult
from core.engines.archive import manifest as mf
from core.engines.archive.create import write_archive
from core.engines.archive.gcquiet import rare_collections
from core.engines.archive.scan import start
from core.engines.archive.tarstream import HashingSink, archive_suffix
from core.engines.compression import ARCHIVE
from core.engines.dumps import ops as dumps
from core.progress import CancelToken, Progress, ProgressCallback
from core.timeutil import iso, utcnow

FILES_BASENAME = "files"


def file_sha256(path: Path, chunk: int = 4 << 20) -> str:
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def _dump(db: dumps.DbUrl, path: Path, to: str | None, cancel: CancelToken) -> tuple[int, str]:
    """Dump into `path`: the size and SHA-256 as stored. Encrypted, the plain dump is written
    in a temporary folder of this computer, never at the destination."""
    if not to:
        dumps.dump(db, path, cancel)
        return path.stat().st_size, file_sha256(path)
    with tempfile.TemporaryDirectory(prefix="backupdesk-dump-") as tmp:
        plain = Path(tmp) / path.name.removesuffix(crypto.SUFFIX)
        dumps.dump(db, plain, cancel, durable=False)  # scratch: the sealed copy is synced
        with atomic_file(path) as f:
            sink = HashingSink(f)
            crypto.encrypt_file(plain, sink, to)
        return sink.size, sink.h.hexdigest()


def wants(options: dict[str, object], part: str) -> bool:
    include = str(options.get("include", "both"))
    return include in ("both", part)


class ArchiveEngine:
    name = "archive"

    def run(self, req: RunRequest, progress: ProgressCallback, cancel: CancelToken) -> RunResult:
        with rare_collections():
            return self._run(req, progress, cancel)

    def _run(self, req: RunRequest, progress: ProgressCallback, cancel: CancelToken) -> RunResult:
        opts = req.options
        compression = str(opts.get("compression", ARCHIVE.default))
        # An encrypted plan's public key: files and dumps are age-encrypted to it as written.
        to = opts.get("encrypt") if isinstance(opts.get("encrypt"), str) else None
        suffix = crypto.SUFFIX if to else ""
        previous = req.previous_manifest if req.mode == "incremental" else None
        result = RunResult(type="incremental" if previous else "full", artifacts=[],
                           listing=None if previous else [])
        entries: list[mf.Entry | mf.Encoded] = []
        deleted: list[str] = []
        changed = 0
        roots: dict[str, str] = {}
        writer = None
        # Owner names by id: the previous manifest's (its unchanged entries come along), and
        # those looked up now.
        users: dict[str, str] = dict(previous.get("users", {})) if previous else {}
        groups: dict[str, str] = dict(previous.get("groups", {})) if previous else {}
        # The disk catches up with the archive (its fsync and rename, on a thread) while the
        # dumps and the manifest are made; the manifest is written once the archive is in place.
        settle: list[Beside[None]] = []
        try:
            if req.sources and wants(opts, "files"):
                progress(Progress("scanning", message="Looking for new and changed files"))
                found = start(req.sources)
                cancel.raise_if_cancelled()
                roots = found.roots
                name = FILES_BASENAME + archive_suffix(compression) + suffix
                out = write_archive(found, req.excludes, req.work_dir / name, compression,
                                    req.backup_name, previous, progress, cancel, to, settle)
                entries, deleted, changed = out.entries, out.deleted, out.changed
                writer = out.writer
                users.update((str(k), v) for k, v in out.owners.users.items() if v)
                groups.update((str(k), v) for k, v in out.owners.groups.items() if v)
                result.files, result.source_bytes = out.files, out.bytes_read
                result.listing = out.listing
                result.warnings += found.warnings + out.warnings
                result.artifacts.append(Artifact(name, "files", out.size, out.sha256,
                                                 {"compression": compression}))
            if wants(opts, "databases"):
                for i, target in enumerate(req.databases):
                    cancel.raise_if_cancelled()
                    db = dumps.parse(target.url)
                    if target.password is not None:
                        db = dumps.DbUrl(db.kind, db.database, db.host, db.port, db.user,
                                         target.password)
                    name = db.dump_name(i)
                    progress(Progress("dumping", current=name, message=f"Dumping the {db.label}"))
                    size, sha = _dump(db, req.work_dir / (name + suffix), to, cancel)
                    result.artifacts.append(Artifact(name + suffix, "database", size, sha,
                                                     {"url": db.redacted, "kind": db.kind}))
            cancel.raise_if_cancelled()
            manifest = mf.build(
                backup_name=req.backup_name, type_=result.type,
                parent=previous["backup"] if previous else None, roots=roots, entries=entries,
                deleted=deleted, changed=changed, created_at=iso(utcnow()) or "",
                artifacts=[a.to_json() for a in result.artifacts], warnings=result.warnings,
                users=users, groups=groups, plan=req.plan_name,
            )
            data = result.manifest = mf.dumps(manifest)
        finally:
            for synced in settle:
                synced.result()
        if to:
            data = crypto.seal(data, to)
        with atomic_file(req.work_dir / mf.MANIFEST_NAME) as f:
            f.write(data)
        result.artifacts.append(Artifact(mf.MANIFEST_NAME, "manifest", len(data),
                                         hashlib.sha256(data).hexdigest()))
        if opts.get("verify_after", True):  # that verify takes the digests taken here
            for a in result.artifacts:
                remember_written(req.work_dir / a.name, a.sha256)
        result.details = {"changed": changed, "deleted": len(deleted),
                          "entries": len(entries), "roots": roots}
        if writer is not None:
            result.details["writer"] = writer
        return result
