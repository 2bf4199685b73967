"""Work done on a thread of its own while the caller goes on: what a job needs only after its
engine has run is imported while the engine works (the archive engine's C loops and the
compressor leave the interpreter free most of the time); the archive's fsync waits for the disk
while the engine builds its manifest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Beside(Generic[T]):
    """`work()` started on a thread; `result()` waits for it and gives what it returned, or
    raises what it raised. Not a daemon: a process that ends early waits for it."""

    def __init__(self, work: Callable[[], T], name: str) -> None:
        self._work = work
        self._value: list[T] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value.append(self._work())
        except BaseException as e:  # raised again by result(), in the caller's thread
            self._error = e

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value[0]
