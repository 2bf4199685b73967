"""SHA-256 of a file at the speed of hashing alone.

A plain loop reads a block (a copy out of the page cache, or a wait on the disk), then hashes
it, one after the other. Here a reader thread fills the next blocks while the caller's thread
hashes (both release the GIL), so on two cores a large file costs its hashing time only.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Generator
from io import FileIO
from pathlib import Path

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
