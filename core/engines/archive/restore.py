"""Rebuild the tree of one manifest from its chain's archives: content, modes, mtimes, links."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import zstandard

from core.destinations import tmp_name
from core.engines.archive.scan import DIR, FILE, SYMLINK
from core.errors import EngineError, UsageError
from core.fmt import count
from core.progress import CancelToken, Progress, ProgressCallback

CHUNK = 1 << 20

# Opens the files archive of the named backup (from a healthy destination).
OpenArchive = Callable[[str], Path]


@dataclass
class RestoreStats:
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)


@contextmanager
def open_tar_stream(path: Path) -> Iterator[tarfile.TarFile]:
    raw = open(path, "rb")  # noqa: SIM115
    stream: IO[bytes] | Any
    try:
        if path.name.endswith(".zst"):
            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_size=CHUNK)
        elif path.name.endswith(".gz"):
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        else:
            stream = raw
        with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8",
                          errors="surrogateescape") as tf:
            yield tf
    finally:
        raw.close()


def select(entries: list[dict[str, Any]], paths: list[str]) -> list[dict[str, Any]]:
    """Entries at or below any of `paths` (archive paths), plus the folders leading to them."""
    if not paths:
        return entries
    wanted = [PurePosixPath(p.strip("/")) for p in paths]
    keep: list[dict[str, Any]] = []
    parents: set[str] = set()
    for e in entries:
        ep = PurePosixPath(e["path"])
        if any(ep == w or w in ep.parents for w in wanted):
            keep.append(e)
            parents.update(str(p) for p in ep.parents if str(p) != ".")
    missing = [str(w) for w in wanted if not any(PurePosixPath(e["path"]) == w for e in keep)]
    if missing:
        raise UsageError(f"Not in this backup: {', '.join(missing)}.")
    have = {e["path"] for e in keep}
    extra = [e for e in entries if e["path"] in parents and e["path"] not in have]
    return extra + keep


def check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UsageError(f"{target} is not empty; choose an empty folder or add --overwrite.")


def restore_tree(entries: list[dict[str, Any]], open_archive: OpenArchive, target: Path, *,
                 progress: ProgressCallback, cancel: CancelToken) -> RestoreStats:
    stats = RestoreStats()
    target.mkdir(parents=True, exist_ok=True)
    dirs = [e for e in entries if e["type"] == DIR]
    files = [e for e in entries if e["type"] == FILE]
    links = [e for e in entries if e["type"] == SYMLINK]
    for e in dirs:
        d = target / e["path"]
        if d.is_symlink() or (d.exists() and not d.is_dir()):
            d.unlink()
        d.mkdir(parents=True, exist_ok=True)
        stats.dirs += 1
    by_archive: dict[str, dict[str, dict[str, Any]]] = {}
    for e in files:
        by_archive.setdefault(e["in"], {})[e["path"]] = e
    total = sum(int(e["size"]) for e in files)
    for name, wanted in by_archive.items():
        archive = open_archive(name)
        with open_tar_stream(archive) as tf:
            for member in tf:
                e = wanted.pop(member.name, {})
                if not e or not member.isfile():
                    continue
                src = tf.extractfile(member)
                assert src is not None
                _write_file(src, target / e["path"], e)
                stats.files += 1
                stats.bytes += int(e["size"])
                progress(Progress("restoring", stats.bytes, total, stats.files, len(files),
                                  e["path"]))
                cancel.raise_if_cancelled()
        if wanted:
            raise EngineError(f"The archive of backup {name} lacks {count(len(wanted), 'file')}, "
                              f"e.g. {next(iter(wanted))}.")
    for e in links:
        p = target / e["path"]
        if os.path.lexists(p):
            if p.is_dir() and not p.is_symlink():
                raise EngineError(f"Cannot restore link {e['path']}: a folder is in the way.")
            p.unlink()
        os.symlink(e["target"], p)
        os.utime(p, ns=(e["mtime_ns"], e["mtime_ns"]), follow_symlinks=False)
        stats.symlinks += 1
    for e in sorted(dirs, key=lambda e: e["path"].count("/"), reverse=True):
        d = target / e["path"]
        os.chmod(d, e["mode"])
        os.utime(d, ns=(e["mtime_ns"], e["mtime_ns"]))
    return stats


def _write_file(src: IO[bytes], final: Path, e: dict[str, Any]) -> None:
    if final.is_dir() and not final.is_symlink():
        raise EngineError(f"Cannot restore {e['path']}: a folder is in the way.")
    tmp = tmp_name(final)
    h = hashlib.sha256()
    try:
        with open(tmp, "xb") as out:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
        if h.hexdigest() != e["sha256"]:
            raise EngineError(f"{e['path']} does not match its checksum in the manifest; "
                              "the archive is damaged.")
        os.chmod(tmp, e["mode"])
        os.utime(tmp, ns=(e["mtime_ns"], e["mtime_ns"]))
        os.replace(tmp, final)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
