"""A controllable clock for the scheduler: sleeping advances simulated time at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime, stop_at: datetime | None = None,
                 on_stop=None) -> None:
        self.t = start.astimezone(UTC)
        self.sleeps: list[float] = []
        self.stop_at, self.on_stop = stop_at, on_stop

    def now(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        self.sleeps.append(seconds)
        self.t += timedelta(seconds=seconds)
        if self.stop_at is not None and self.t >= self.stop_at and self.on_stop:
            self.on_stop()
