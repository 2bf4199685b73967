"""Runs the core scheduler loop while the GUI is open (also from the tray).

The loop and the jobs it starts run in Python threads; results and desktop notifications reach
the GUI thread through queued signals. The background service (core.service) may run the same
schedules meanwhile: the scheduler's claims start each due run once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from core.scheduling.runtime import SchedulerService
from gui.context import AppContext
from gui.notifier import notifications


class SchedulerHost(QObject):
    started = Signal(str, str)  # plan, kind
    finished = Signal(object)  # core.scheduling.due_jobs.Finished
    overdue_changed = Signal(list)  # names of overdue plans

    def __init__(self, ctx: AppContext, parent: QObject | None = None, *,
                 clock: Any = None, alerts: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._clock, self._alerts = clock, alerts
        self.service: Any = None
        self._late: list[str] | None = None
        self.finished.connect(lambda _f: ctx.jobs_changed.emit())
        # The banner and the tray re-read their state when a plan becomes (or stops being) late.
        self.overdue_changed.connect(lambda _late: ctx.jobs_changed.emit())
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)
        ctx.when_ready(self.start)

    def start(self) -> None:
        if self.service is not None or self.ctx.catalogue is None:
            return

        paths = self.ctx.config.paths
        alerts = self._alerts or notifications(self.ctx).alerts()
        self.service = SchedulerService(
            self.ctx.catalogue, paths, clock=self._clock, alerts=alerts,
            on_started=lambda d: self.started.emit(d.plan, d.kind),
            on_finished=self.finished.emit, on_overdue=self._overdue)
        self.service.start()

    def _overdue(self, late: list[str]) -> None:  # loop thread
        if late != self._late:
            first = self._late is None
            self._late = list(late)
            if not first or late:
                self.overdue_changed.emit(list(late))

    def wake(self) -> None:
        """Re-read the schedules now (call after a plan or schedule was saved)."""
        if self.service is not None:
            self.service.wake()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop(timeout=5.0)
            self.service = None
