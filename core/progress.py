"""Progress reporting and cancellation shared by every long core operation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import CancelledError
from core.fmt import count, human_bytes


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report. Totals are None when unknown."""

    phase: str
    bytes_done: int = 0
    bytes_total: int | None = None
    files_done: int = 0
    files_total: int | None = None
    current: str = ""
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        if self.files_total:
            return min(1.0, self.files_done / self.files_total)
        return None


ProgressCallback = Callable[[Progress], None]


def describe(p: Progress) -> str:
    """One line for a progress report: the phase, then what is known of the amounts."""
    parts = [p.phase.capitalize()]
    if p.bytes_total:
        parts.append(f"{human_bytes(p.bytes_done)} of {human_bytes(p.bytes_total)}")
    elif p.bytes_done:
        parts.append(human_bytes(p.bytes_done))
    if p.files_total:
        parts.append(f"{p.files_done} of {count(p.files_total, 'file')}")
    elif p.files_done:
        parts.append(count(p.files_done, "file"))
    text = " · ".join(parts)
    detail = p.message or p.current
    return f"{text} · {detail}" if detail else text


def no_progress(_: Progress) -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Set by the user's thread, checked by the worker between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError("Cancelled by the user.")

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True if cancelled meanwhile."""
        return self._event.wait(timeout)
