"""Collect the Board's changes between two looks, for a consumer that looks now and then."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from core.grid.board import Alert, Board, DeviceState, DeviceView, ServiceState
from core.grid.cycle import TargetUpdate
from core.grid.memory import DeviceMemory

CHUNK = 150


@dataclass
class Batch:
    changed: dict[str, DeviceView] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    alerts: list[Alert] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    services: dict[str, dict[str, ServiceState]] = field(default_factory=dict)
    disk: dict[str, dict[str, Any]] = field(default_factory=dict)
    final: bool = True  # False for all but the last chunk of a split batch

    def chunks(self, size: int = CHUNK) -> list[Batch]:
        """Split so that a consumer can apply a big batch in small steps; the last one carries
        the counts, services, disk summary and alerts."""
        if len(self.changed) <= size:
            return [self]
        items = list(self.changed.items())
        out = [Batch(dict(items[i:i + size]), final=False) for i in range(0, len(items), size)]
        last = out[-1]
        last.final = True
        last.removed, last.alerts, last.counts = self.removed, self.alerts, self.counts
        last.services, last.disk = self.services, self.disk
        return out


class Collector:
    """Thread-safe: `add` from the poller, `set_targets` and `take` from anywhere. With a
    `memory` (core.grid.memory), a node down at start-up shows the devices it last reported."""

    def __init__(self, memory: DeviceMemory | None = None) -> None:
        self._board = Board(memory)
        self._lock = threading.Lock()
        self._pending = Batch()
        self._changed: dict[str, DeviceState] = {}
        self._names: set[str] = set()
        self._dirty = False

    def set_targets(self, names: set[str]) -> None:
        with self._lock:
            self._names = set(names)
            for k in self._board.keep_targets(self._names):
                self._changed.pop(k, None)
                self._pending.removed.add(k)
            self._dirty = True

    def add(self, update: TargetUpdate) -> bool:
        """Apply an update; True if the batch just turned dirty (time to schedule a take)."""
        with self._lock:
            if update.target.name not in self._names:
                return False  # a cycle that started before its node was removed
            change = self._board.apply(update)
            p = self._pending
            for d in change.changed:
                self._changed[d.key] = d
                p.removed.discard(d.key)
            for k in change.removed:
                self._changed.pop(k, None)
                p.removed.add(k)
            p.alerts.extend(change.alerts)
            was, self._dirty = self._dirty, True
            return not was

    def take(self) -> Batch:
        with self._lock:
            batch, self._pending = self._pending, Batch()
            changed, self._changed = self._changed, {}
            self._dirty = False
            batch.counts = self._board.counts()
            batch.services = {t: dict(s) for t, s in self._board.services.items()}
            batch.disk = dict(self._board.disk)
        batch.changed = {k: d.view() for k, d in changed.items()}
        return batch
