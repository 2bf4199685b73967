"""The tray icon: open, quit, and the state of the last backup."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from core.catalogue.history import HistoryRow, banner, last_backup
from core.fmt import local_time
from gui.context import AppContext
from gui.icons import state_icon
from gui.main_window import MainWindow

STATUS_STATE = {"success": "ok", "running": "running", "partial": "warning", "failed": "error",
                "interrupted": "error", "cancelled": "warning"}


class Tray(QSystemTrayIcon):
    def __init__(self, ctx: AppContext, window: MainWindow) -> None:
        super().__init__(state_icon("none"), window)
        self.ctx = ctx
        self.window = window
        menu = QMenu()
        self.state_action = QAction("Last backup: unknown", menu)
        self.state_action.setEnabled(False)
        open_action = QAction("Open Backup Desk", menu)
        open_action.triggered.connect(self.open_window)
        quit_action = QAction("Quit", menu)
        quit_action.triggered.connect(QApplication.quit)
        menu.addAction(self.state_action)
        menu.addSeparator()
        menu.addAction(open_action)
        menu.addAction(quit_action)
        self._menu = menu
        self.setContextMenu(menu)
        self.setToolTip("Backup Desk")
        self.activated.connect(self._activated)
        ctx.catalogue_ready.connect(self.refresh)
        ctx.jobs_changed.connect(self.refresh)
        ctx.notify.connect(self._notify)

    def keeps_running(self) -> bool:
        return self.isVisible()

    def open_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_window()

    def refresh(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        self.ctx.workers.submit(lambda: (last_backup(cat), banner(cat)), on_result=self._show)

    def _show(self, result: tuple[HistoryRow | None, object]) -> None:
        last, b = result
        if last is None:
            text, state = "Last backup: none yet", "none"
        else:
            text = (f"Last backup: {last.plan} {last.status} at "
                    f"{local_time(last.finished_at or last.started_at)}")
            state = STATUS_STATE.get(last.status, "none")
        level = getattr(b, "level", "none")
        if level in ("error", "warning"):
            state = level
        self.state_action.setText(text)
        self.setToolTip(f"Backup Desk\n{text}\n{getattr(b, 'text', '')}")
        self.setIcon(state_icon(state))

    def _notify(self, title: str, message: str) -> None:
        self.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 10000)
