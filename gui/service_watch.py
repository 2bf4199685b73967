"""Whether the background service runs (core.service), for the status bar, Settings and the
tray: read off the GUI thread every few seconds and after Start/Stop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from core.service import status
from core.service_control import start, stop
from gui.context import AppContext
from gui.errors import error_text

POLL_MS = 15000


class ServiceWatch(QObject):
    changed = Signal(object)  # core.service.ServiceStatus
    message = Signal(str)  # what Start/Stop did, or why they failed

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.status: Any = None
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ctx.when_ready(self.refresh)

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True

        self.ctx.workers.submit(status, self.ctx.catalogue, self.ctx.config,
                                on_result=self._got, on_error=self._failed)

    def _got(self, st: Any) -> None:
        self._busy = False
        if st != self.status:
            self.status = st
            self.changed.emit(st)

    def _failed(self, e: BaseException) -> None:
        self._busy = False
        self.message.emit(error_text(e))

    def start_service(self) -> None:
        self._control(start)

    def stop_service(self) -> None:
        self._control(stop)

    def _control(self, fn: Any) -> None:
        def done(text: str) -> None:
            self.message.emit(text)
            self.refresh()

        def failed(e: BaseException) -> None:
            self.message.emit(error_text(e))
            self.refresh()

        self.ctx.workers.submit(fn, self.ctx.config, on_result=done, on_error=failed)


def service_watch(ctx: AppContext) -> ServiceWatch:
    found = ctx.findChild(ServiceWatch)
    return found if found is not None else ServiceWatch(ctx)


class ServiceIndicator(QLabel):
    """The status bar's "Background service running/stopped", a warning when plans have
    schedules that nothing will run once the window closes."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("service-indicator")
        self.watch = service_watch(ctx)
        self.watch.changed.connect(self.show_status)
        if self.watch.status is not None:
            self.show_status(self.watch.status)

    def show_status(self, st: Any) -> None:
        text = st.text()
        if st.unattended_gap:
            self.setText(f"⚠ {text}. Start it in Settings.")
            dark = self.palette().window().color().lightness() < 128
            self.setStyleSheet(f"color: {'#ef5350' if dark else '#c62828'};")
        else:
            self.setText(("● " if st.running else "○ ") + text)
            self.setStyleSheet("")
        self.setToolTip("The background service runs scheduled backups, verifies and restore "
                        "tests, and device alerts, with the window closed.")
