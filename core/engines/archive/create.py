"""Write one files archive (full or incremental) and return the manifest entries."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from core.beside import Beside
from core.crypto import encrypting
from core.destinations import atomic_file
from core.engines.api import FileRow
from core.engines.archive import extras, native
from core.engines.archive import manifest as mf
from core.engines.archive.feed import Feed
from core.engines.archive.owners import Owners
from core.engines.archive.pipe import Pipe
from core.engines.archive.scan import DIR, FILE, SYMLINK, Item, Scan
from core.engines.archive.tarstream import (
    BLOCK,
    FLUSH_AT,
    ZEROS,
    HashingSink,
    TarWriter,
    file_header,
    header,
    open_compressor,
)
from core.progress import CancelToken, Progress, ProgressCallback

# The per-file loop in C, or None: the pure-Python loop below (same bytes, slower).
_fastpack = native.fastpack

SMALL = 8 << 20
BATCH = 4 << 20  # the C loop's output buffer (a few hundred small files), and _large's reads
_O_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOATIME", 0)


@dataclass
class ArchiveOutcome:
    """What writing an archive produced: its manifest entries and counts."""
    entries: list[mf.Entry | mf.Encoded]
    deleted: list[str]
    changed: int
    files: int
    bytes_read: int
    size: int
    sha256: str
    warnings: list[str] = field(default_factory=list)
    writer: str = "python"  # "c" when _fastpack wrote the small files and folders
    owners: Owners = field(default_factory=Owners)  # the names of the ids written
    listing: list[FileRow] | None = None  # a full archive's files (RunResult.listing)


def _open(path: str) -> int:
    try:
        return os.open(path, _O_FLAGS)
    except PermissionError:
        # O_NOATIME is refused on files we do not own.
        return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))


class _Writer:
    def __init__(self, tar: TarWriter, backup_name: str, progress: ProgressCallback,
                 cancel: CancelToken) -> None:
        self.tar, self.name, self.progress, self.cancel = tar, backup_name, progress, cancel
        self.files_total: int | None = None  # known once the scan has ended
        self.bytes_total: int | None = None
        self.files = self.bytes = 0
        self.warnings: list[str] = []
        self._last = 0.0
        self.owners = Owners()
        # The first of each set of hard links written to this archive, by (st_dev, st_ino).
        self.linked: dict[tuple[int, int], mf.Entry] = {}

    def report(self, current: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= 0.2:
            self._last = now
            phase = "scanning" if self.files_total is None else "archiving"
            self.progress(Progress(phase, self.bytes, self.bytes_total, self.files,
                                   self.files_total, current))
            self.cancel.raise_if_cancelled()

    def write(self, todo: _Todo, start: int) -> int:
        """Writes todo.items[start:] (the pure-Python loop); returns where it stopped."""
        report, write_one = self.report, self.write_one
        items = todo.items
        for i in range(start, len(items)):
            report(items[i].path)
            write_one(todo, i)
        return len(items)

    def write_one(self, todo: _Todo, i: int) -> None:
        item = todo.items[i]
        if item.type == FILE and item.size <= SMALL and item.nlink == 1:
            todo.entries[todo.order[i]] = self.add_small(item) or {}
        else:
            todo.entries[todo.order[i]] = self.add(item, todo.prevs[i]) or {}

    def add_small(self, item: Item) -> mf.Entry | None:
        """The hot path: one small regular file, inlined (20,000 files make it count)."""
        size = item.size
        try:
            fd = _open(item.abspath)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        try:
            if self._has_extras(fd, item):
                return self._file(item, fd)
            data = os.read(fd, size + 1)
            if len(data) != size:
                data = self._reread(item, fd, data)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        finally:
            os.close(fd)
        n = len(data)
        mode = item.mode & 0o7777
        buf = self.tar.buf
        mtime = item.mtime_ns // 1_000_000_000  # whole seconds, as tar and _fastpack take them
        user, group = self.owners.user(item.uid), self.owners.group(item.gid)
        buf += file_header(item.path, mode, item.uid, item.gid, n, mtime, user, group)
        buf += data
        if n % BLOCK:
            buf += ZEROS[: BLOCK - n % BLOCK]
        if len(buf) >= FLUSH_AT:
            self.tar.flush()
        self.files += 1
        self.bytes += n
        return {"path": item.path, "type": FILE, "mode": mode, "mtime_ns": item.mtime_ns,
                "ctime_ns": item.ctime_ns, "ino": item.ino, "uid": item.uid, "gid": item.gid,
                "size": n, "sha256": sha256(data).hexdigest(), "in": self.name}

    @staticmethod
    def _has_extras(fd: int, item: Item) -> bool:
        """Extended attributes or holes: pax records (the same test as _fastpack's, where a
        failing flistxattr counts as none)."""
        if extras.xattrs_of(fd):
            return True
        return extras.maybe_sparse(item.size, item.blocks) and extras.has_hole(fd, item.size)

    def _reread(self, item: Item, fd: int, data: bytes) -> bytes:
        size = item.size
        while len(data) < size:
            more = os.read(fd, size - len(data))
            if not more:
                break
            data += more
        if len(data) != size:
            self.warnings.append(f"{item.abspath} changed while it was read.")
        return data

    def add(self, item: Item, prev: mf.Entry | None) -> mf.Entry | None:
        mode = stat.S_IMODE(item.mode)
        mtime = item.mtime_ns // 1_000_000_000
        user, group = self.owners.user(item.uid), self.owners.group(item.gid)
        if item.type == DIR:
            try:
                attrs = extras.xattrs(item.abspath)
            except OSError as e:
                self.warnings.append(f"Cannot read the extended attributes of {item.abspath}: "
                                     f"{e.strerror}; stored without them.")
                attrs = {}
            self.tar.add(header(item.path, DIR, mode, item.uid, item.gid, 0, mtime, "", user,
                                group, extras.pax_records(attrs, self.owners)))
            entry = mf.entry_for(item)
            if attrs:
                entry["xattrs"] = extras.to_json(attrs)
            return entry
        if item.type == SYMLINK:
            try:
                target = os.readlink(item.abspath)
            except OSError as e:
                self.warnings.append(f"Cannot read link {item.abspath}: {e.strerror}; skipped.")
                return None
            self.tar.add(header(item.path, SYMLINK, mode, item.uid, item.gid, 0, mtime, target,
                                user, group))
            return mf.entry_for(item, target)
        first = self.linked.get((item.dev, item.ino)) if item.nlink > 1 else None
        if first is not None:  # a hard link to a file already in this archive
            self.tar.add(header(item.path, "hardlink", mode, item.uid, item.gid, 0, mtime,
                                first["path"], user, group))
            entry = mf.entry_for(item)
            entry.update(size=first["size"], sha256=first["sha256"], link=first["path"],
                         **{"in": self.name})
            return entry
        try:
            fd = _open(item.abspath)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        try:
            return self._file(item, fd)
        finally:
            os.close(fd)

    def _file(self, item: Item, fd: int) -> mf.Entry | None:
        """A file with what only pax holds (or a big one, or one with hard links), from `fd`."""
        mode, mtime = stat.S_IMODE(item.mode), item.mtime_ns // 1_000_000_000
        user, group = self.owners.user(item.uid), self.owners.group(item.gid)
        try:
            attrs = extras.xattrs(fd)
            holes = (extras.data_extents(fd, item.size)
                     if extras.maybe_sparse(item.size, item.blocks)
                     and extras.has_hole(fd, item.size) else None)
            pax = extras.pax_records(attrs, self.owners)
            if holes is None:
                self.tar.add(header(item.path, FILE, mode, item.uid, item.gid, item.size, mtime,
                                    "", user, group, pax))
                sha, size = self._large(item, fd), item.size
            else:
                sha, size = self._sparse(item, fd, holes, pax, user, group)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        self.files += 1
        entry = mf.entry_for(item)
        entry["size"], entry["sha256"], entry["in"] = size, sha, self.name
        if attrs:
            entry["xattrs"] = extras.to_json(attrs)
        if holes is not None:
            entry["sparse"] = True
        if item.nlink > 1:
            self.linked[(item.dev, item.ino)] = entry
        return entry

    def _large(self, item: Item, fd: int, start: int = 0, length: int | None = None,
               h: Any = None) -> str:
        """Streams `length` bytes from `start` (the whole file by default) after its header."""
        left = item.size if length is None else length
        h = h or hashlib.sha256()
        with open(fd, "rb", buffering=0, closefd=False) as f:
            f.seek(start)
            while left:
                buf = self.tar.out.take()
                view = memoryview(buf)
                want = min(len(buf), left)
                n = f.readinto(view[:want])
                if not n:
                    self.warnings.append(f"{item.abspath} shrank while it was read; "
                                         "the missing end is stored as zeros.")
                    view[:want] = bytes(want)
                    n = want
                h.update(view[:n])
                view.release()
                self.tar.add_buffer(buf, n)
                left -= n
                self.bytes += n
                self.report(item.path)
        if length is None:
            self.tar.pad(item.size)
        return str(h.hexdigest())

    def _sparse(self, item: Item, fd: int, extents: list[tuple[int, int]], pax: dict[str, str],
                user: str, group: str) -> tuple[str, int]:
        """GNU sparse format 1.0: the map, then only the runs of data; the hash is the whole
        content's, holes as zeros."""
        head, _, base = item.path.rpartition("/")
        fake = f"{head}/GNUSparseFile.0/{base}" if head else f"GNUSparseFile.0/{base}"
        if len(fake) > 100 or not fake.isascii():  # no pax "path": it would win over the name
            fake = "GNUSparseFile.0/sparse-file"
        smap = extras.sparse_map(extents)
        stored = len(smap) + sum(n for _, n in extents)
        pax = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": item.path,
               "GNU.sparse.realsize": str(item.size), **pax}
        mode, mtime = stat.S_IMODE(item.mode), item.mtime_ns // 1_000_000_000
        self.tar.add(header(fake, FILE, mode, item.uid, item.gid, stored, mtime, "", user, group,
                            pax))
        self.tar.add(smap)
        h = hashlib.sha256()
        pos = 0
        for off, n in extents:
            extras.hash_zeros(h, off - pos)
            self._large(item, fd, off, n, h)
            pos = off + n
        extras.hash_zeros(h, item.size - pos)
        self.tar.pad(stored)
        return str(h.hexdigest()), item.size


class _Todo:
    """What this archive must hold, in scan order: entries[order[k]] comes from items[k]."""

    def __init__(self, previous: dict[str, Any] | None) -> None:
        old: list[mf.Entry] = previous["entries"] if previous else []
        self.old = old
        self.prev = {e["path"]: i for i, e in enumerate(old)}  # path -> index in old
        # What an unchanged entry is written as: its JSON in the previous manifest if that is
        # at hand (no encoding again), else the entry itself.
        raw = previous.raw_entries() if isinstance(previous, mf.Loaded) else None
        self.keep: list[mf.Entry] | list[mf.Encoded] = raw if raw is not None else old
        self.entries: list[mf.Entry | mf.Encoded | None] = []
        self.order: list[int] = []
        self.items: list[Item] = []
        self.prevs: list[mf.Entry | None] = []
        self.files = self.bytes = 0
        self.found_again = 0  # items whose path the previous manifest holds

    def take(self, new: list[Item]) -> None:
        prev, entries = self.prev, self.entries
        if not prev:  # a full backup: everything, in order
            self.order.extend(range(len(entries), len(entries) + len(new)))
            entries.extend([None] * len(new))
            self.items.extend(new)
            self.prevs.extend([None] * len(new))
            sizes = [i.size for i in new if i.type == FILE]
            self.files += len(sizes)
            self.bytes += sum(sizes)
            return
        old, keep, unchanged = self.old, self.keep, mf.unchanged
        for item in new:
            i = prev.get(item.path)
            p = None if i is None else old[i]
            if p is not None:
                self.found_again += 1
            if p is not None and unchanged(p, item) and (item.type != FILE or "in" in p):
                entries.append(keep[i])  # type: ignore[index]
                continue
            self.order.append(len(entries))
            entries.append({})
            self.items.append(item)
            self.prevs.append(p)
            if item.type == FILE:
                self.files += 1
                self.bytes += item.size


def write_archive(found: Scan, excludes: list[str], out_path: Path, compression: str,
                  backup_name: str, previous: dict[str, Any] | None,
                  progress: ProgressCallback, cancel: CancelToken,
                  encrypt_to: str | None = None,
                  settle: list[Beside[None]] | None = None) -> ArchiveOutcome:
    """Full if `previous` is None, else only what changed since `previous` (a manifest);
    age-encrypted to the recipient `encrypt_to` when given (the digest is the stored bytes').
    With `settle`, the archive's fsync and rename run on a thread of `settle` (atomic_file).

    `found` comes from scan.start(): its folders are walked here (see feed.py), so scan warnings
    land in found.warnings and the items in found.items.
    """
    todo = _Todo(previous)
    fast = _fastpack is not None
    with Feed(found, excludes, live=fast) as feed, atomic_file(out_path, settle) as f:
        sink = HashingSink(f.raw if hasattr(f, "raw") else f)
        with encrypting(sink, encrypt_to) as out:
            comp = open_compressor(compression, out)
            with Pipe(comp, BATCH) as pipe:
                w = _Writer(TarWriter(pipe), backup_name, progress, cancel)
                loop = _FastLoop(w, pipe, listing=previous is None) if fast else None
                write = loop.write if loop is not None else w.write
                taken = written = 0
                done = False
                while not done:
                    n, done = feed.wait(taken)
                    todo.take(found.items[taken:n])
                    taken = n
                    if done:  # the totals are known from here on
                        w.files_total, w.bytes_total = todo.files, todo.bytes
                    written = write(todo, written)
                w.tar.finish()
                pipe.close()
            comp.close()
        cancel.raise_if_cancelled()
    w.report("", force=True)
    # A scan's paths are unique: when each previous path was found again, none was deleted.
    deleted: list[str] = []
    if todo.found_again < len(todo.prev):
        seen = {i.path for i in found.items}
        deleted = sorted(p for p in todo.prev if p not in seen)
    entries = [e for e in todo.entries if e]
    listing = None
    if previous is None:  # C's files are listed as it stored them; the others from their entry
        listing = loop.listing if loop is not None and loop.listing is not None else []
        listing += [mf.file_row(e) for e in entries if type(e) is dict and e["type"] == FILE]
    return ArchiveOutcome(entries, deleted, len(todo.items), w.files, w.bytes, sink.size,
                          sink.h.hexdigest(), w.warnings, "c" if fast else "python", w.owners,
                          listing)


class _FastLoop:
    """The same entries as _Writer.write, with runs of small files and folders framed in C (the
    manifest entries of those come back as JSON, see manifest.dumps)."""

    def __init__(self, w: _Writer, pipe: Pipe, listing: bool = False) -> None:
        self.w, self.pipe = w, pipe
        self.listing: list[FileRow] | None = [] if listing else None
        self.buf = pipe.take()
        self.in_json = json.dumps(w.name).encode()
        self.owners = w.owners

    def write(self, todo: _Todo, start: int) -> int:
        assert _fastpack is not None
        w, pack, in_json = self.w, _fastpack.pack, self.in_json
        items, entries, order = todo.items, todo.entries, todo.order
        i, end = start, len(items)
        while i < end:
            w.report(items[i].path)
            used, done, problems, files, nbytes = pack(items, i, self.buf, SMALL, in_json,
                                                       self.owners.users, self.owners.groups,
                                                       self.listing)
            if not done:  # not for C (a link, a big file, a long or non-ASCII name, pax...)
                w.write_one(todo, i)
                i += 1
                continue
            w.tar.flush()  # what Python wrote comes first
            self.pipe.put(self.buf, used)
            self.buf = self.pipe.take()
            n = len(done)
            if order[i] == i and order[i + n - 1] == i + n - 1:  # a full backup: in place
                entries[i:i + n] = done
            else:
                for k, e in enumerate(done, i):
                    entries[order[k]] = e
            for k, err in problems:
                self.problem(items[i + k], err)
            w.files += files
            w.bytes += nbytes
            i += n
        return i

    def problem(self, item: Item, err: int) -> None:
        if err > 0:
            self.w.warnings.append(f"Cannot read {item.abspath}: {os.strerror(err)}; skipped.")
        else:
            self.w.warnings.append(f"{item.abspath} changed while it was read.")
