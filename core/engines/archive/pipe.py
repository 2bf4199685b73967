"""The compressor on a thread of its own, fed in order.

The writer's thread reads, hashes and frames the files (the C loop without the GIL); handing
each batch to the compressor there would make it wait while zstd takes the batch in and the
output is hashed and written. Here that happens on a second thread, so reading the next batch
overlaps compressing and writing the last, as `tar | zstd` overlaps two processes.
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType
from typing import Any

BUFFERS = 3  # batches in flight: one being filled, one being compressed, one waiting


class Pipe:
    """Writes to `out` (the compressor) from a thread, in the order given. An error of `out`
    is raised by the next call here."""

    def __init__(self, out: Any, size: int) -> None:
        self.out = out
        self._size, self._made = size, 0  # buffers are made when first needed
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        # (data, length, a buffer of ours to hand back); None: stop.
        self._todo: queue.Queue[tuple[Any, int, bool] | None] = queue.Queue(BUFFERS + 2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backupdesk-compress",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._todo.get()) is not None:
            data, n, ours = job
            if self._error is None:
                try:
                    self.out.write(memoryview(data)[:n] if ours else data)
                except BaseException as e:  # raised in the writer's thread
                    self._error = e
            if ours:
                self._free.put(data)

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def take(self) -> bytearray:
        """A buffer to fill and put(): one the compressor is done with."""
        while True:
            self._check()
            try:
                return self._free.get(timeout=0.1 if self._made == BUFFERS else 0)
            except queue.Empty:
                if self._made < BUFFERS:
                    self._made += 1
                    return bytearray(self._size)

    def put(self, buf: bytearray, n: int) -> None:
        """The first `n` bytes of a buffer from take(), which the caller no longer touches."""
        self._check()
        self._todo.put((buf, n, True))

    def give(self, data: bytes | bytearray) -> None:
        """Bytes the caller no longer touches."""
        self._check()
        self._todo.put((data, len(data), False))

    def close(self) -> None:
        """Waits until everything is written; raises the compressor's error if there was one."""
        self._stop()
        self._check()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._todo.put(None)
            self._thread.join()

    def __enter__(self) -> Pipe:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        if e is not None and self._error is None:
            self._error = e  # the writer gave up: what the thread still has is dropped
        self._stop()
