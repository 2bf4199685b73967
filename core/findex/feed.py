"""Feed one backup's file list into a plan's index: only what changed against the backup before
it is written, and the change summary (the job's details["changes"]) comes out.

A backup's file list is its regular files as (path bytes, size, mtime_ns, hash or None): from an
archive manifest (`manifest_files`) or from `borg list --json-lines` (`BorgListing`, a sink for
the borg engine's listing, which streams into it).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from core.findex.store import Index, NewVersion

# (path as bytes, size, mtime_ns, hash or None)
FileEntry = tuple[bytes, int | None, int | None, int | None]

_loads: Callable[[bytes], Any] = json.loads


def short_hash(hexdigest: str | None) -> int | None:
    """The first 48 bits of a file's SHA-256: tells versions of equal size and mtime apart."""
    return int(hexdigest[:12], 16) if hexdigest else None


def manifest_files(manifest: dict[str, Any]) -> list[FileEntry]:
    """The regular files of an archive manifest."""
    return [(e["path"].encode("utf-8", "surrogateescape"), e.get("size"), e.get("mtime_ns"),
             int(e["sha256"][:12], 16) if e.get("sha256") else None)
            for e in manifest.get("entries", []) if e["type"] == "file"]


def borg_mtime_ns(text: str | None) -> int | None:
    """borg's ISO time (local, no zone) as nanoseconds since the epoch."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


class BorgListing:
    """A sink for the borg engine's `borg list --json-lines` stream (add_line per line): the
    archive's regular files as FileEntry."""

    def __init__(self) -> None:
        self.files: list[FileEntry] = []
        self.entries = 0
        self.bytes = 0
        self.finished = False

    def add_line(self, line: bytes) -> None:
        ev = _loads(line)
        self.entries += 1
        if ev.get("type", "-") != "-":
            return
        b64 = ev.get("path_b64")
        path = base64.b64decode(b64) if b64 else os.fsencode(ev["path"])
        size = int(ev.get("size") or 0)
        self.bytes += size
        self.files.append((path.lstrip(b"/"), size, borg_mtime_ns(ev.get("mtime")), None))


def folder_of(path: bytes, common: bytes) -> str:
    """The folder a path is in, one level below the folder `common` to every file of the
    backup (so a single source's top folders, not the source itself); itself at the top."""
    rest = path[len(common) + 1:] if common else path
    head = rest.split(b"/", 1)[0]
    return os.fsdecode(common + b"/" + head if common else head)


def _common_dir(common: bytes | None, path: bytes) -> bytes:
    if common is None:
        return path.rpartition(b"/")[0]
    while common and not path.startswith(common + b"/"):
        common = common.rpartition(b"/")[0]
    return common


def feed(ix: Index, ref: str, name: str, created_at: str,
         files: Iterable[FileEntry]) -> dict[str, Any]:
    """Index one backup, newer than every backup already in `ix`; its change summary against
    the one before it (every file counts as added for the first)."""
    with ix.transaction():
        prev = ix.last_backup()
        ids = ix.path_ids()
        alive = ix.alive()
        next_id = ix.next_path_id()
        new_paths: list[tuple[int, bytes]] = []
        new_versions: list[NewVersion] = []
        ended: list[tuple[int, int]] = []
        added = changed = unchanged = n = 0
        grew: list[tuple[bytes, int]] = []
        common: bytes | None = None
        seen: set[bytes] = set()
        for path, size, mtime, h in files:
            if path in seen:  # listed twice: the first one counts
                continue
            seen.add(path)
            n += 1
            common = _common_dir(common, path)
            pid = ids.get(path)
            old = alive.pop(pid, None) if pid is not None else None
            if pid is None:
                pid = ids[path] = next_id
                next_id += 1
                new_paths.append((pid, path))
            if old is not None:
                if old[2] == size and old[3] == mtime and old[4] == h:
                    unchanged += 1
                    continue
                ended.append((pid, old[1]))
                changed += 1
            else:
                added += 1
            new_versions.append((pid, size, mtime, h))
            grew.append((path, size or 0))
        deleted = len(alive)
        ended += [(pid, a[1]) for pid, a in alive.items()]
        seq = ix.add_backup(ref, name, created_at, n)
        if prev is not None:
            ix.close_versions(ended, prev.seq)
        ix.add_paths(new_paths)
        ix.add_versions(seq, new_versions)
        ix.set_meta("common_dir", os.fsdecode(common or b""))
    by_folder: dict[str, int] = {}
    for path, size in grew:
        key = folder_of(path, common or b"")
        by_folder[key] = by_folder.get(key, 0) + size
    return {"added": added, "changed": changed, "deleted": deleted, "unchanged": unchanged,
            "bytes_by_folder": dict(sorted(by_folder.items(), key=lambda kv: -kv[1]))}
