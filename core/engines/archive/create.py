"""Write one files archive (full or incremental) and return the manifest entries."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from core.destinations import atomic_file
from core.engines.archive import manifest as mf
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

SMALL = 8 << 20
CHUNK = 4 << 20
_O_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOATIME", 0)


@dataclass
class ArchiveOutcome:
    entries: list[mf.Entry]
    deleted: list[str]
    changed: int
    files: int
    bytes_read: int
    size: int
    sha256: str
    warnings: list[str] = field(default_factory=list)


def _open(path: str) -> int:
    try:
        return os.open(path, _O_FLAGS)
    except PermissionError:
        # O_NOATIME is refused on files we do not own.
        return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))


class _Writer:
    def __init__(self, tar: TarWriter, backup_name: str, progress: ProgressCallback,
                 cancel: CancelToken, files_total: int, bytes_total: int) -> None:
        self.tar, self.name, self.progress, self.cancel = tar, backup_name, progress, cancel
        self.files_total, self.bytes_total = files_total, bytes_total
        self.files = self.bytes = 0
        self.warnings: list[str] = []
        self._last = 0.0

    def report(self, current: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= 0.2:
            self._last = now
            self.progress(Progress("archiving", self.bytes, self.bytes_total, self.files,
                                   self.files_total, current))
            self.cancel.raise_if_cancelled()

    def add_small(self, item: Item) -> mf.Entry | None:
        """The hot path: one small regular file, inlined (20,000 files make it count)."""
        st = item.st
        size = st.st_size
        try:
            fd = _open(item.abspath)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        try:
            data = os.read(fd, size + 1)
            if len(data) != size:
                data = self._reread(item, fd, data)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        finally:
            os.close(fd)
        n = len(data)
        mode = st.st_mode & 0o7777
        buf = self.tar.buf
        buf += file_header(item.path, mode, st.st_uid, st.st_gid, n, int(st.st_mtime))
        buf += data
        if n % BLOCK:
            buf += ZEROS[: BLOCK - n % BLOCK]
        if len(buf) >= FLUSH_AT:
            self.tar.flush()
        self.files += 1
        self.bytes += n
        return {"path": item.path, "type": FILE, "mode": mode, "mtime_ns": st.st_mtime_ns,
                "size": n, "sha256": sha256(data).hexdigest(), "in": self.name}

    def _reread(self, item: Item, fd: int, data: bytes) -> bytes:
        size = item.st.st_size
        while len(data) < size:
            more = os.read(fd, size - len(data))
            if not more:
                break
            data += more
        if len(data) != size:
            self.warnings.append(f"{item.abspath} changed while it was read.")
        return data

    def add(self, item: Item, prev: mf.Entry | None) -> mf.Entry | None:
        st = item.st
        mode = stat.S_IMODE(st.st_mode)
        mtime = int(st.st_mtime)
        if item.type == DIR:
            self.tar.add(header(item.path, DIR, mode, st.st_uid, st.st_gid, 0, mtime))
            return mf.entry_for(item)
        if item.type == SYMLINK:
            try:
                target = os.readlink(item.abspath)
            except OSError as e:
                self.warnings.append(f"Cannot read link {item.abspath}: {e.strerror}; skipped.")
                return None
            self.tar.add(header(item.path, SYMLINK, mode, st.st_uid, st.st_gid, 0, mtime,
                                target))
            return mf.entry_for(item, target)
        return self._file(item, mode, mtime)

    def _file(self, item: Item, mode: int, mtime: int) -> mf.Entry | None:
        st = item.st
        try:
            fd = _open(item.abspath)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        try:
            if st.st_size <= SMALL:
                sha, size = self._small(item, fd, mode, mtime)
            else:
                sha, size = self._large(item, fd, mode, mtime)
        except OSError as e:
            self.warnings.append(f"Cannot read {item.abspath}: {e.strerror}; skipped.")
            return None
        finally:
            os.close(fd)
        self.files += 1
        entry = mf.entry_for(item)
        entry["size"], entry["sha256"], entry["in"] = size, sha, self.name
        return entry

    def _small(self, item: Item, fd: int, mode: int, mtime: int) -> tuple[str, int]:
        st = item.st
        data = os.read(fd, st.st_size + 1)
        while len(data) < st.st_size:  # short read; one read is the rule for small files
            more = os.read(fd, st.st_size - len(data))
            if not more:
                break
            data += more
        if len(data) != st.st_size:
            self.warnings.append(f"{item.abspath} changed while it was read.")
        self.tar.add(header(item.path, FILE, mode, st.st_uid, st.st_gid, len(data), mtime), data)
        self.bytes += len(data)
        return hashlib.sha256(data).hexdigest(), len(data)

    def _large(self, item: Item, fd: int, mode: int, mtime: int) -> tuple[str, int]:
        st = item.st
        size = st.st_size
        self.tar.add(header(item.path, FILE, mode, st.st_uid, st.st_gid, size, mtime))
        h = hashlib.sha256()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        left = size
        with open(fd, "rb", buffering=0, closefd=False) as f:
            while left:
                n = f.readinto(view[:min(CHUNK, left)])
                if not n:
                    self.warnings.append(f"{item.abspath} shrank while it was read; "
                                         "the missing end is stored as zeros.")
                    view[:left] = bytes(min(CHUNK, left))
                    n = min(CHUNK, left)
                h.update(view[:n])
                self.tar.add_large(view[:n])
                left -= n
                self.bytes += n
                self.report(item.path)
        self.tar.pad(size)
        return h.hexdigest(), size


def write_archive(scan: Scan, out_path: Path, compression: str, backup_name: str,
                  previous: dict[str, Any] | None, progress: ProgressCallback,
                  cancel: CancelToken) -> ArchiveOutcome:
    """Full if `previous` is None, else only what changed since `previous` (a manifest)."""
    prev = {e["path"]: e for e in previous["entries"]} if previous else {}
    todo: list[tuple[Item, mf.Entry | None]] = []
    entries: list[mf.Entry] = []
    order: list[int] = []  # index in entries for each todo item, to keep scan order
    for item in scan.items:
        p = prev.get(item.path)
        if p is not None and mf.unchanged(p, item) and (item.type != FILE or "in" in p):
            entries.append(p)
        else:
            order.append(len(entries))
            entries.append({})
            todo.append((item, p))
    bytes_total = sum(i.st.st_size for i, _ in todo if i.type == FILE)
    files_total = sum(1 for i, _ in todo if i.type == FILE)
    seen = {i.path for i in scan.items}
    deleted = sorted(p for p in prev if p not in seen)
    with atomic_file(out_path) as f:
        sink = HashingSink(f.raw if hasattr(f, "raw") else f)
        comp = open_compressor(compression, sink)
        tar = TarWriter(comp)
        w = _Writer(tar, backup_name, progress, cancel, files_total, bytes_total)
        report, add, add_small = w.report, w.add, w.add_small
        for idx, (item, p) in zip(order, todo, strict=True):
            report(item.path)
            if item.type == FILE and item.st.st_size <= SMALL:
                entries[idx] = add_small(item) or {}
            else:
                entries[idx] = add(item, p) or {}
        tar.finish()
        comp.close()
        cancel.raise_if_cancelled()
    w.report("", force=True)
    return ArchiveOutcome([e for e in entries if e], deleted, len(todo), w.files, w.bytes,
                          sink.size, sink.h.hexdigest(), w.warnings)
