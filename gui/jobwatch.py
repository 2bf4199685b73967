"""Notices job changes made by any process (CLI, scheduler, another workstation)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from core.catalogue.history import change_token
from gui.context import AppContext


class JobWatcher(QObject):
    """Polls a cheap fingerprint of the job table off the GUI thread; emits ctx.jobs_changed."""

    def __init__(self, ctx: AppContext, interval_ms: int = 2000) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self._token: tuple[Any, ...] | None = None
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        ctx.catalogue_ready.connect(self.timer.start)

    def poll(self) -> None:
        cat = self.ctx.catalogue
        if cat is None or self._busy:
            return
        self._busy = True
        self.ctx.workers.submit(change_token, cat, on_result=self._got, on_error=self._err)

    def _got(self, token: tuple[Any, ...]) -> None:
        self._busy = False
        changed = self._token is not None and token != self._token
        self._token = token
        if changed:
            self.ctx.jobs_changed.emit()

    def _err(self, _e: BaseException) -> None:
        self._busy = False  # a transient catalogue error; the next poll retries

    def stop(self) -> None:
        self.timer.stop()
