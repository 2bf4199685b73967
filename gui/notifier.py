"""The window's desktop notifications: through the freedesktop D-Bus server (core.desktop_notify)
first, the tray balloon (ctx.notify) only where no server answers. A click on "Open" or
"Retry" opens the window on the job (and runs its plan again)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from core.alerts import Alerts, Event
from core.catalogue.history import job_rows
from core.desktop_notify import DesktopNotifier, NotifyError, job_actions
from gui.context import AppContext
from gui.run_controller import run_controller
from gui.single_instance import bring_forward

log = logging.getLogger(__name__)


class Notifications(QObject):
    incoming = Signal(object)  # core.alerts.Event; from any thread
    action = Signal(str, str)  # action, ref; from the D-Bus thread

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.window: QWidget | None = None
        self.dbus = DesktopNotifier(on_action=self.action.emit)
        self.incoming.connect(self.show_event)
        self.action.connect(self._on_action)

    def alerts(self) -> Alerts:
        """Alerts whose desktop notifications come here (emit them off the GUI thread)."""
        return Alerts(self.ctx.config.paths, desktop_event=self.incoming.emit)

    def send(self, events: Sequence[Event]) -> None:
        """Send events once each (claims, settings, mail) off the GUI thread."""
        if not events:
            return
        alerts = self.alerts()
        self.ctx.workers.submit(lambda: [alerts.emit(ev) for ev in events])

    def show_event(self, ev: Event) -> None:
        actions = job_actions(ev.job_id, ev.kind == "failure")
        ref = str(ev.job_id) if ev.job_id is not None else "-"

        def send() -> int:
            return self.dbus.notify(ev.title, ev.message, actions=actions, ref=ref,
                                    urgency=2 if ev.kind == "failure" else 1)

        self.ctx.workers.submit(send, on_error=lambda e: self._fallback(ev, e))

    def _fallback(self, ev: Event, e: BaseException) -> None:
        if not isinstance(e, NotifyError):
            log.warning("desktop notification failed: %s", e)
        self.ctx.notify.emit(ev.title, ev.message)  # the tray balloon, where there is a tray

    def _on_action(self, action: str, ref: str) -> None:
        if self.window is None:
            return
        open_job(self.ctx, self.window, int(ref) if ref.isdigit() else None,
                 retry=action == "retry")

    def close(self) -> None:
        self.dbus.close()


def notifications(ctx: AppContext) -> Notifications:
    """The one Notifications of this window."""
    found = ctx.findChild(Notifications)
    return found if found is not None else Notifications(ctx)


def open_job(ctx: AppContext, window: Any, job: int | None, *, retry: bool = False) -> None:
    """Bring the window forward on History with the job's detail; with retry, run its plan."""
    bring_forward(window)
    pane = window.show_pane("history")
    if job is None:
        return
    show = getattr(pane, "_load_detail", None)
    if show is not None:
        pane._shown_job = job
        show(job)
    row = pane.model.row_of(job)
    if row >= 0:
        pane.table.selectRow(row)
    cat = ctx.catalogue
    if retry and cat is not None:
        def start(rows: list[Any]) -> None:
            if rows and rows[0].plan:
                run_controller(ctx).start(rows[0].plan)

        ctx.workers.submit(job_rows, cat, [job], on_result=start)
