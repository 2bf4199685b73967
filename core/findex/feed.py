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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.engines.api import FileRow
from core.findex.store import Alive, Index, Newest, NewVersion

FileEntry = FileRow  # (path as bytes, size, mtime_ns, hash or None)

_loads: Callable[[bytes], Any] = json.loads


def manifest_files(manifest: dict[str, Any]) -> list[FileEntry]:
    """The regular files of an archive manifest."""
    from core.engines.archive.manifest import file_row  # the archive engine: not for borg's

    return [file_row(e) for e in manifest.get("entries", []) if e["type"] == "file"]


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
        self._finished = False
        self._links: list[tuple[int, bytes]] = []  # hard links listed with size 0: (at, source)

    def add_line(self, line: bytes) -> None:
        ev = _loads(line)
        self.entries += 1
        if ev.get("type", "-") != "-":
            return
        b64 = ev.get("path_b64")
        path = base64.b64decode(b64) if b64 else os.fsencode(ev["path"])
        size = int(ev.get("size") or 0)
        self.bytes += size
        if not size and str(ev.get("mode", "")).startswith("h") and ev.get("source"):
            self._links.append((len(self.files), os.fsencode(ev["source"]).lstrip(b"/")))
        self.files.append((path.lstrip(b"/"), size, borg_mtime_ns(ev.get("mtime")), None))

    @property
    def finished(self) -> bool:
        return self._finished

    @finished.setter
    def finished(self, done: bool) -> None:
        """At the end, borg 1.2's hard links (size 0, `source` the file listed first) get that
        file's size."""
        self._finished = done
        if done and self._links:
            sizes = dict.fromkeys((src for _, src in self._links), 0)
            for path, size, *_ in self.files:
                if path in sizes and not sizes[path]:
                    sizes[path] = size or 0
            for at, src in self._links:
                path, _, mtime, h = self.files[at]
                self.files[at] = (path, sizes[src], mtime, h)
            self._links = []


def folder_of(path: bytes, common: bytes) -> str:
    """The folder a path is in, one level below the folder `common` to every file of the
    backup (so a single source's top folders, not the source itself); itself at the top."""
    rest = path[len(common) + 1:] if common else path
    return folder_named(rest.split(b"/", 1)[0], common)


def folder_named(head: bytes, common: bytes) -> str:
    """The name folder_of gives the top folder `head` below `common`."""
    return os.fsdecode(common + b"/" + head if common else head)


def _common_dir(common: bytes | None, path: bytes) -> bytes:
    if common is None:
        return path.rpartition(b"/")[0]
    while common and not path.startswith(common + b"/"):
        common = common.rpartition(b"/")[0]
    return common


@dataclass
class Listing:
    """A backup's regular files: all of them, or (`base` set) only those written anew since
    the backup named `base`, with the paths that stopped being files (`gone`, deleted or now a
    folder or link) and how many files it holds in all (`total`)."""

    files: list[FileEntry]
    base: str | None = None
    gone: list[bytes] = field(default_factory=list)
    total: int = 0


class _Batch:
    """One backup's rows, classified against the versions alive in the backup before it."""

    def __init__(self, ix: Index, ids: dict[bytes, int], alive: dict[int, Alive]) -> None:
        self.ix, self.ids, self.alive = ix, ids, alive
        self.next_id = ix.next_path_id()
        self.new_paths: list[tuple[int, bytes]] = []
        self.new_versions: list[NewVersion] = []
        self.ended: list[tuple[int, int]] = []
        self.grew: list[tuple[bytes, int]] = []
        self.added = self.changed = self.unchanged = self.deleted = 0

    def put(self, path: bytes, size: int | None, mtime: int | None, h: int | None) -> None:
        pid = self.ids.get(path)
        old = self.alive.pop(pid, None) if pid is not None else None
        if pid is None:
            pid = self.ids[path] = self.next_id
            self.next_id += 1
            self.new_paths.append((pid, path))
        if old is not None:
            if old[2] == size and old[3] == mtime and old[4] == h:
                self.unchanged += 1
                return
            self.ended.append((pid, old[1]))
            self.changed += 1
        else:
            self.added += 1
        self.new_versions.append((pid, size, mtime, h))
        self.grew.append((path, size or 0))

    def end(self, pid: int) -> None:
        old = self.alive.pop(pid, None)
        if old is not None:
            self.ended.append((pid, old[1]))
            self.deleted += 1

    def write(self, ref: str, name: str, created_at: str, files: int,
              common: bytes) -> dict[str, Any]:
        prev = self.ix.last_backup()
        seq = self.ix.add_backup(ref, name, created_at, files)
        if prev is not None:
            self.ix.close_versions(self.ended, prev.seq)
        self.ix.add_paths(self.new_paths)
        self.ix.add_versions(seq, self.new_versions)
        self.ix.set_meta("common_dir", os.fsdecode(common))
        by_folder: dict[str, int] = {}
        for path, size in self.grew:
            key = folder_of(path, common)
            by_folder[key] = by_folder.get(key, 0) + size
        return {"added": self.added, "changed": self.changed, "deleted": self.deleted,
                "unchanged": self.unchanged,
                "bytes_by_folder": dict(sorted(by_folder.items(), key=lambda kv: -kv[1]))}


def feed(ix: Index, ref: str, name: str, created_at: str,
         files: Iterable[FileEntry] | Listing,
         ahead: Newest | None = None) -> dict[str, Any]:
    """Index one backup, newer than every backup already in `ix`; its change summary against
    the one before it (every file counts as added for the first). A Listing of changes is taken
    as such only when the index's newest backup is its base; callers check (`can_take`).
    `ahead`: store.read_newest() of this index, read earlier (taken if still the newest)."""
    if isinstance(files, Listing) and files.base is not None:
        return _feed_changes(ix, ref, name, created_at, files)
    if not isinstance(files, (Listing, list)):
        files = list(files)
    delta = _delta(ix, files.files if isinstance(files, Listing) else files, ahead)
    if delta is not None:
        return _feed_changes(ix, ref, name, created_at, delta)
    with ix.transaction():
        batch = _Batch(ix, ix.path_ids(), ix.alive())
        common: bytes | None = None
        seen: set[bytes] = set()
        for path, size, mtime, h in (files.files if isinstance(files, Listing) else files):
            if path in seen:  # listed twice: the first one counts
                continue
            seen.add(path)
            common = _common_dir(common, path)
            batch.put(path, size, mtime, h)
        for pid in list(batch.alive):
            batch.end(pid)
        return batch.write(ref, name, created_at, len(seen), common or b"")


def _delta(ix: Index, files: list[FileEntry], ahead: Newest | None) -> Listing | None:
    """A whole file list as the changes since the index's newest backup, found by comparing
    tuples in sets rather than file by file; None where the file-by-file way is as cheap or
    has to decide (no backup yet, a path listed twice, most files changed)."""
    last = ix.last_backup()
    if last is None:
        return None
    paths = {f[0] for f in files}
    if len(paths) != len(files):
        return None
    if ahead is not None and ahead[0] == last.ref:
        _, held, held_paths = ahead
    else:
        held = ix.held_newest()
        held_paths = {h[0] for h in held}
    new = [f for f in files if f not in held]
    if len(new) > len(files) // 4:
        return None
    return Listing(new, base=last.name, gone=list(held_paths - paths), total=len(files))


def can_take(ix: Index, listing: Listing) -> bool:
    last = ix.last_backup()
    return listing.base is None or (last is not None and last.name == listing.base)


def _feed_changes(ix: Index, ref: str, name: str, created_at: str,
                  listing: Listing) -> dict[str, Any]:
    """Only the files written anew and the paths gone are looked at: the cost follows the
    changes, not the tree."""
    with ix.transaction():
        last = ix.last_backup()
        assert last is not None and last.name == listing.base, "not the listing's base"
        ids = ix.find_path_ids([p for p, *_ in listing.files] + listing.gone)
        batch = _Batch(ix, ids, ix.alive_of(ids.values()))
        common: bytes | None = os.fsencode(ix.get_meta("common_dir") or "")
        for path, size, mtime, h in listing.files:
            common = _common_dir(common, path) if path not in ids else common
            batch.put(path, size, mtime, h)
        for path in listing.gone:
            pid = ids.get(path)
            if pid is not None:
                batch.end(pid)
        batch.unchanged = listing.total - batch.added - batch.changed
        return batch.write(ref, name, created_at, listing.total, common or b"")


def manifest_listing(raw: bytes, where: str, changes: bool) -> Listing:
    """An archive manifest's files from its bytes. With `changes`, for an incremental whose
    entries stand one a line, only the lines of files written by this backup (`"in"` naming
    it) and of non-files are parsed: the rest are the parent's lines copied as they were."""
    from core.engines.archive import manifest as mf  # the archive engine: not for borg's

    start = raw.find(mf.ENTRIES_START)
    if changes and start > 0 and raw.endswith(mf.ENTRIES_END):
        head = json.loads(raw[:start] + b"}")
        if head.get("format") == mf.FORMAT and head.get("parent"):
            return _changes(raw[start + len(mf.ENTRIES_START):-len(mf.ENTRIES_END)], head)
    if start > 0 and raw.endswith(mf.ENTRIES_END):
        head = json.loads(raw[:start] + b"}")
        if head.get("format") == mf.FORMAT and int(head.get("version", 0)) <= mf.VERSION:
            files = _file_lines(raw[start + len(mf.ENTRIES_START):-len(mf.ENTRIES_END)])
            if files is not None:
                return Listing(files)
    return Listing(manifest_files(mf.parse(raw, where)))


# A regular file's line as the engine writes it (manifest.entry_for's keys, then size and
# sha256), its path without escapes: read by one regex instead of json (a full backup's
# 20,000 lines in about 20 ms instead of 55).
_FILE_LINE = re.compile(
    rb'\{"path":"([^"\\\n]*)","type":"file","mode":\d+,"mtime_ns":(-?\d+),"ctime_ns":-?\d+,'
    rb'"ino":\d+,"uid":\d+,"gid":\d+,"size":(\d+),"sha256":"([0-9a-f]{12})')
_FILE_TYPE = b'"type":"file"'


def _file_lines(body: bytes) -> list[FileEntry] | None:
    """The regular files of a manifest's entry lines; None if a file's line is not of the
    shape the engine writes (the caller parses the JSON then)."""
    files: list[FileEntry] = [(p, int(s), int(m), int(h, 16))
                              for p, m, s, h in _FILE_LINE.findall(body)]
    want = body.count(_FILE_TYPE)
    if len(files) != want:  # paths with escapes (non-ASCII, odd bytes, quotes): their lines
        escaped = [json.loads(x) for x in body.split(b",\n")
                   if _FILE_TYPE in x and b"\\" in x[:x.find(_FILE_TYPE)]]
        files += manifest_files({"entries": escaped})
        if len(files) != want:
            return None
    return files


_NOT_FILE = re.compile(rb'"type":"(?:dir|symlink)"')
_PATH_FIRST = b'{"path":"'


def _line_at(body: bytes, i: int) -> bytes:
    """The entry whose line holds position i."""
    end = body.find(b"\n", i)
    return body[body.rfind(b"\n", 0, i) + 1:len(body) if end < 0 else end].rstrip(b",")


def _changes(body: bytes, head: dict[str, Any]) -> Listing:
    """Found by searching the bytes, not by walking the lines (the file's tens of MB): JSON
    strings escape their quotes, so these byte runs only stand between keys and values. The
    lines found are read as _file_lines reads them (json only for paths with escapes)."""
    mine = b'"in":' + json.dumps(head["backup"]).encode()
    out = Listing([], base=str(head["parent"]), total=body.count(_FILE_TYPE),
                  gone=[p.encode("utf-8", "surrogateescape") for p in head.get("deleted", [])])
    written = []
    i = body.find(mine)
    while i >= 0:
        written.append(_line_at(body, i))
        i = body.find(mine, i + len(mine))
    files = _file_lines(b",\n".join(written)) if written else []
    out.files = files if files is not None else manifest_files(
        {"entries": [json.loads(x) for x in written]})
    # A folder or link now: if it was a file, that file is gone.
    out.gone += [_path_before(body, m.start()) for m in _NOT_FILE.finditer(body)]
    return out


def _path_before(body: bytes, i: int) -> bytes:
    """The path of the entry whose "type" stands at i: the bytes between its line's
    `{"path":"` and `",` where they hold no escape (the engine writes the path first), else
    from json."""
    start = body.rfind(b"\n", 0, i) + 1
    if body.startswith(_PATH_FIRST, start) and body[i - 2:i] == b'",':
        path = body[start + len(_PATH_FIRST):i - 2]
        if b"\\" not in path and b'"' not in path:
            return path
    path_text: str = json.loads(_line_at(body, i))["path"]
    return path_text.encode("utf-8", "surrogateescape")
