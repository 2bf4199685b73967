"""Waiting for a condition while Qt keeps running, without calling processEvents in a loop
(with PySide6 6.12 each Python call of processEvents leaks a reference to None)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer


def wait_until(condition: Callable[[], bool], timeout_s: float, poll_ms: int = 5) -> bool:
    """Run the event loop until `condition()` is true or the timeout passes; True if it held."""
    if condition():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    timer = QTimer()
    timer.setInterval(poll_ms)

    def check() -> None:
        if condition() or time.monotonic() >= deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return condition()
