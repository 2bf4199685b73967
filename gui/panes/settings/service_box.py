"""Settings, Background service tab: whether it runs, Start/Stop, and what it does."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.fmt import count
from gui.context import AppContext
from gui.service_watch import service_watch

ABOUT = ("The background service runs scheduled backups, verifies and restore tests, checks "
         "for overdue plans and watches the remote nodes' devices, with this window closed. "
         "It starts at login.")


class ServiceBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Background service", parent)
        self.setObjectName("service-box")
        self.watch = service_watch(ctx)
        self.state = QLabel("Checking…")
        self.state.setWordWrap(True)
        self.about = QLabel(ABOUT)
        self.about.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.state)
        lay.addWidget(self.about)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addStretch(1)
        self.start_button.clicked.connect(self._start)
        self.stop_button.clicked.connect(self._stop)
        self.watch.changed.connect(self.show_status)
        self.watch.message.connect(self._message)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        if self.watch.status is not None:
            self.show_status(self.watch.status)
        else:
            self.watch.refresh()

    def show_status(self, st: Any) -> None:
        how = " by systemd (backupdesk.service)" if st.systemd else ""
        if st.running:
            text = f"<b>Running</b>{how}, process {st.pid}."
        elif st.unattended_gap:
            n = st.scheduled_plans
            text = (f"<b>Stopped.</b> {count(n, 'plan')} with a schedule: nothing runs "
                    f"{'them' if n != 1 else 'it'} once this window closes.")
        else:
            text = "<b>Stopped.</b>"
        self.state.setText(text)
        self.start_button.setEnabled(not st.running)
        self.stop_button.setEnabled(st.running)

    def _start(self) -> None:
        self.start_button.setEnabled(False)
        self.message.setText("Starting…")
        self.watch.start_service()

    def _stop(self) -> None:
        self.stop_button.setEnabled(False)
        self.message.setText("Stopping (a running backup finishes its step first)…")
        self.watch.stop_service()

    def _message(self, text: str) -> None:
        self.message.setText(text)
