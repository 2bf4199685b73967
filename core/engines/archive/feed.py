"""The scan's folders walked in a thread of their own while the archive is being written.

With the C loop (`_fastpack`) the writer spends most of its time without the GIL, so the walk's
Python and its lstat calls overlap reading, hashing and compressing: the compressor starts on
the first folder instead of after the last. Without it both would be Python and gain nothing
from a thread, so the walk runs first, as a plain scan.
"""

from __future__ import annotations

import threading
from types import TracebackType

from core.engines.archive.scan import Scan, walk

# The writer is woken when this many items are waiting (or the walk has ended), not at every
# folder: fewer wake-ups, and fewer times its Python and the walk's pass the GIL back and forth.
STEP = 1000


class Feed:
    """Items appear in `found.items` in archive order; `wait` tells how many may be taken."""

    def __init__(self, found: Scan, excludes: list[str], live: bool) -> None:
        self.found = found
        self._cond = threading.Condition()
        self._done = False
        self._stop = False
        self._want = 0  # the writer sleeps until there are this many items
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if live:
            self._thread = threading.Thread(
                target=self._run, args=(excludes,), name="backupdesk-scan", daemon=True
            )
            self._thread.start()
        else:
            walk(found, excludes)
            self._done = True

    def _published(self) -> bool:
        if len(self.found.items) >= self._want:
            with self._cond:
                self._cond.notify()
        return not self._stop

    def _run(self, excludes: list[str]) -> None:
        try:
            walk(self.found, excludes, self._published)
        except BaseException as e:  # handed to the writer's thread by wait()
            self._error = e
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def wait(self, have: int) -> tuple[int, bool]:
        """Blocks until STEP more than `have` items are there or the walk has ended.

        Returns the number of items that may be taken and whether that is all of them.
        """
        items = self.found.items
        with self._cond:
            self._want = have + STEP
            while len(items) < self._want and not self._done:
                self._cond.wait()
            n, done = len(items), self._done
        if done and self._error is not None:
            raise self._error
        return n, done

    def close(self) -> None:
        """Stops the walk (at its next folder) if it still runs, and waits for its thread."""
        if self._thread is not None:
            with self._cond:
                self._stop = True
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Feed:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
