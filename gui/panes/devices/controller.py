"""Between the poller and the pane: nodes in, batches of device changes out.

By default the poller runs in a worker process (core.grid.worker): its work then never holds
the interpreter lock that the GUI thread needs. Batches arrive through a pipe watched by a
QSocketNotifier, one (small) batch per event-loop turn. `in_process=True` runs it on a thread
of this process instead (simpler, but its CPU work competes with the GUI's).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from core.grid.adapters import Target
from core.grid.batch import Batch, Collector
from core.grid.cycle import TargetUpdate
from core.grid.memory import DeviceMemory
from core.grid.nodes import NodeSpec, enabled_targets
from core.grid.poller import Limits
from core.grid.service import GridService
from core.grid.worker import FLUSH_S, WorkerProcess

log = logging.getLogger(__name__)

__all__ = ["Batch", "GridController"]


class GridController(QObject):
    batch_ready = Signal(object)  # core.grid.batch.Batch, on the GUI thread
    _dirty = Signal()

    def __init__(self, limits: Limits | None = None, parent: QObject | None = None,
                 in_process: bool = False, memory: Path | None = None) -> None:
        """`memory`: the devices each node last reported (core.grid.memory), shown offline
        while all of a node's daemons are down."""
        super().__init__(parent)
        self._limits = limits
        self._memory = memory
        self._in_process = in_process or not WorkerProcess.available()
        self._targets: list[Target] = []
        self._worker: WorkerProcess | None = None
        self._notifier: QSocketNotifier | None = None
        self._service: GridService | None = None
        self._collector = Collector(DeviceMemory(memory) if memory is not None else None)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(FLUSH_S * 1000))
        self._timer.timeout.connect(self._flush)
        self._dirty.connect(self._schedule)

    @property
    def targets(self) -> list[Target]:
        return list(self._targets)

    def set_nodes(self, nodes: list[NodeSpec]) -> None:
        self.set_targets(enabled_targets(nodes))

    def set_targets(self, targets: list[Target]) -> None:
        if self._targets == list(targets) and (self._worker or self._service):
            return  # unchanged: keep the schedule
        self._targets = list(targets)
        if self._in_process:
            self._collector.set_targets({t.name for t in targets})
            if self._service is None:
                self._service = GridService(self._on_update, limits=self._limits)
                self._service.start()
            self._service.set_targets(targets)
            self._dirty.emit()
            return
        if self._worker is None:
            if not targets:
                return  # nothing to poll: no process
            self._start_worker()
        assert self._worker is not None
        self._worker.send("targets", self._targets)

    def refresh(self) -> None:
        if self._service is not None:
            self._service.poll_now()
        if self._worker is not None:
            self._worker.send("poll_now")

    def stop(self) -> None:
        self._timer.stop()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        if self._service is not None:
            self._service.stop()
            self._service = None

    # -- worker process -------------------------------------------------------------------------
    def _start_worker(self) -> None:
        self._worker = WorkerProcess(self._limits, self._memory)
        self._worker.start()
        self._notifier = QSocketNotifier(self._worker.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def _readable(self) -> None:
        worker = self._worker
        if worker is None:
            return
        for batch in worker.receive():
            self.batch_ready.emit(batch)
        if not worker.alive and self._notifier is not None:
            log.warning("the grid worker process ended")
            self._notifier.setEnabled(False)

    # -- poller thread (in_process) -------------------------------------------------------------
    def _on_update(self, update: TargetUpdate) -> None:
        if self._collector.add(update):
            self._dirty.emit()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        for chunk in self._collector.take().chunks():
            self.batch_ready.emit(chunk)
