"""SHA-256 of a file at the speed of hashing alone, and the digests taken while writing.

A plain loop reads a block (a copy out of the page cache, or a wait on the disk), then hashes
it, one after the other. Here a reader thread fills the next blocks while the caller's thread
hashes (both release the GIL), so on two cores a large file costs its hashing time only.

The verify that follows a backup need not read back what the backup has just written on a
local disk: that read is served by the page cache, and gives the bytes the backup wrote and
hashed on their way out. So the engine remembers each artifact's digest with the file's
identity once it is written and fsync'ed, and that verify takes it (once) instead of reading,
as long as the file is unchanged since (same inode, size, mtime and ctime); otherwise, on a
network or FUSE file system (where a read may reach the server), later, or for any other
verify, the file is read.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Generator
from io import FileIO
from pathlib import Path

from core.destinations import mount_fstype
from core.errors import CancelledError

BLOCK = 1 << 20  # stays in the CPU's cache between the copy and the hash
DEPTH = 4  # blocks read ahead
THREADED_FROM = 4 * BLOCK  # smaller files: the plain loop (no thread to start)


def hash_file(path: Path, stop: threading.Event | None = None,
              counter: list[int] | None = None) -> tuple[int, str]:
    """(size read, hex SHA-256). `counter[0]` grows by the bytes hashed as they are; a set
    `stop` raises CancelledError at the next block. An unreadable file raises OSError."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as f:
        try:
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except (AttributeError, OSError):
            pass
        big = os.fstat(f.fileno()).st_size >= THREADED_FROM
        blocks = _read_ahead(f) if big else _blocks(f)
        try:
            for block in blocks:
                h.update(block)
                size += len(block)
                if counter is not None:
                    counter[0] += len(block)
                if stop is not None and stop.is_set():
                    raise CancelledError("Cancelled by the user.")
        finally:
            blocks.close()  # the reader thread has ended before the file is closed
    return size, h.hexdigest()


Blocks = Generator[memoryview, None, None]


def _blocks(f: FileIO) -> Blocks:
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    while n := f.readinto(buf):
        yield view[:n]


_Filled = tuple[bytearray, int] | BaseException


def _read_ahead(f: FileIO) -> Blocks:
    """The file's blocks in order, read by another thread up to DEPTH blocks ahead. Each block
    is valid until the next one is asked for."""
    free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
    filled: queue.SimpleQueue[_Filled] = queue.SimpleQueue()
    for _ in range(DEPTH):
        free.put(bytearray(BLOCK))

    def read() -> None:
        try:
            while (buf := free.get()) is not None:
                n = f.readinto(buf)
                filled.put((buf, n))
                if not n:
                    return
        except BaseException as e:  # handed to the hashing thread
            filled.put(e)

    reader = threading.Thread(target=read, name="checksum-read", daemon=True)
    reader.start()
    try:
        while True:
            got = filled.get()
            if isinstance(got, BaseException):
                raise got
            buf, n = got
            if not n:
                return
            yield memoryview(buf)[:n]
            free.put(buf)
    finally:
        free.put(None)  # the reader stops at its next block (the file stays open till then)
        reader.join()


# Local file systems, where a read right after the write comes from this host's page cache.
LOCAL_FS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "zfs",
                      "bcachefs", "tmpfs", "vfat", "exfat", "ntfs", "ntfs3", "hfsplus"})
WRITTEN_FOR = 3600.0  # seconds a digest waits for its verify (a backup's copies come first)
_written: dict[tuple[int, int], tuple[int, int, int, float, str]] = {}
_written_lock = threading.Lock()


def remember_written(path: Path, digest: str) -> None:
    """`digest` is the SHA-256 of the bytes just written to `path` (fsync'ed, at the name the
    verify will check) on a local file system: that verify may take it instead of reading."""
    if mount_fstype(path) not in LOCAL_FS:
        return
    st = os.stat(path)
    with _written_lock:
        _written[(st.st_dev, st.st_ino)] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                                            time.monotonic(), digest)


def written_digest(st: os.stat_result) -> str | None:
    """The digest remembered for this file if it is unchanged since it was written (given
    once); None: read it."""
    with _written_lock:
        known = _written.pop((st.st_dev, st.st_ino), None)
        now = time.monotonic()
        for key in [k for k, v in _written.items() if now - v[3] > WRITTEN_FOR]:
            del _written[key]
    if known is None or known[:3] != (st.st_size, st.st_mtime_ns, st.st_ctime_ns):
        return None
    return known[4] if now - known[3] <= WRITTEN_FOR else None
