"""Between the poller thread and the pane: nodes in, batches of device changes out.

The poller thread merges and applies each answer to the Board; the GUI thread only picks up
finished batches, at most every FLUSH_MS, so a poll never stalls the event loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.grid.adapters import Target
from core.grid.board import Alert, Board, DeviceState, ServiceState
from core.grid.cycle import TargetUpdate
from core.grid.nodes import NodeSpec, enabled_targets
from core.grid.poller import Limits
from core.grid.service import GridService

FLUSH_MS = 150


@dataclass
class Batch:
    changed: dict[str, DeviceState] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    alerts: list[Alert] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    services: dict[str, dict[str, ServiceState]] = field(default_factory=dict)
    disk: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)


class GridController(QObject):
    batch_ready = Signal(object)  # Batch, on the GUI thread
    _dirty = Signal()

    def __init__(self, limits: Limits | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._limits = limits
        self._board = Board()
        self._lock = threading.Lock()
        self._pending = Batch()
        self._scheduled = False
        self._targets: list[Target] = []
        self._names: set[str] = set()
        self._service: GridService | None = None
        self._dirty.connect(self._schedule)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)

    @property
    def targets(self) -> list[Target]:
        return list(self._targets)

    def set_nodes(self, nodes: list[NodeSpec]) -> None:
        self.set_targets(enabled_targets(nodes))

    def set_targets(self, targets: list[Target]) -> None:
        self._targets = list(targets)
        with self._lock:
            self._names = {t.name for t in targets}
            removed = self._board.keep_targets({t.name for t in targets})
            self._pending.removed.update(removed)
            for k in removed:
                self._pending.changed.pop(k, None)
        if self._service is None:
            self._service = GridService(self._on_update, limits=self._limits)
            self._service.start()
        self._service.set_targets(targets)
        self._dirty.emit()

    def refresh(self) -> None:
        if self._service is not None:
            self._service.poll_now()

    def stop(self) -> None:
        self._timer.stop()
        if self._service is not None:
            self._service.stop()
            self._service = None

    # -- poller thread --------------------------------------------------------------------------
    def _on_update(self, update: TargetUpdate) -> None:
        with self._lock:
            if update.target.name not in self._names:
                return  # a cycle that started before its node was removed
            change = self._board.apply(update)
            p = self._pending
            for d in change.changed:
                p.changed[d.key] = d
                p.removed.discard(d.key)
            for k in change.removed:
                p.changed.pop(k, None)
                p.removed.add(k)
            p.alerts.extend(change.alerts)
            notify = not self._scheduled
            self._scheduled = True
        if notify:
            self._dirty.emit()

    # -- GUI thread -----------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, Batch()
            self._scheduled = False
            batch.counts = self._board.counts()
            batch.services = {t: dict(s) for t, s in self._board.services.items()}
            batch.disk = dict(self._board.disk)
        batch.targets = [t.name for t in self._targets]
        self.batch_ready.emit(batch)
