"""The tray icon: back up now (all plans or one), the last result, open, quit.

Quitting asks whether the background service should stop too; closing the window never
stops scheduled work.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon

from core.catalogue.db import Catalogue
from core.catalogue.history import HistoryRow, last_backup, plan_names
from core.fmt import local_time
from core.today import banner
from gui.context import AppContext
from gui.icons import state_icon
from gui.main_window import MainWindow
from gui.run_controller import run_controller
from gui.service_watch import service_watch

STATUS_STATE = {"success": "ok", "running": "running", "partial": "warning", "failed": "error",
                "interrupted": "error", "cancelled": "warning"}


def _tray_state(cat: Catalogue) -> tuple[HistoryRow | None, object, list[str]]:
    return last_backup(cat), banner(cat), plan_names(cat, enabled_only=True)


class Tray(QSystemTrayIcon):
    def __init__(self, ctx: AppContext, window: MainWindow) -> None:
        super().__init__(state_icon("none"), window)
        self.ctx = ctx
        self.window = window
        menu = QMenu()
        self.backup_menu = QMenu("Back up now", menu)
        self.backup_menu.setObjectName("tray-backup-now")
        self.state_action = QAction("Last backup: unknown", menu)
        self.state_action.setEnabled(False)
        self.open_action = QAction("Open Backup Desk", menu)
        self.open_action.triggered.connect(self.open_window)
        self.quit_action = QAction("Quit", menu)
        self.quit_action.triggered.connect(self.quit)
        menu.addMenu(self.backup_menu)
        menu.addAction(self.state_action)
        menu.addSeparator()
        menu.addAction(self.open_action)
        menu.addAction(self.quit_action)
        self._menu = menu
        self.plans: list[str] = []
        self._fill_backup_menu()
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

    # -- back up now ----------------------------------------------------------------------------
    def _fill_backup_menu(self) -> None:
        m = self.backup_menu
        m.clear()
        every = m.addAction("All plans")
        every.triggered.connect(self.back_up_all)
        every.setEnabled(bool(self.plans))
        if self.plans:
            m.addSeparator()
        for name in self.plans:
            act = m.addAction(name)
            act.triggered.connect(lambda _=False, n=name: self.back_up(n))
        m.setEnabled(bool(self.plans))

    def back_up(self, plan: str) -> None:
        run_controller(self.ctx).start(plan)

    def back_up_all(self) -> None:
        for name in self.plans:
            self.back_up(name)

    # -- state ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        self.ctx.workers.submit(_tray_state, cat, on_result=self._show)

    def _show(self, result: tuple[HistoryRow | None, object, list[str]]) -> None:
        last, b, plans = result
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
        if plans != self.plans:
            self.plans = plans
            self._fill_backup_menu()

    def _notify(self, title: str, message: str) -> None:
        self.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 10000)

    # -- quit -----------------------------------------------------------------------------------
    def quit(self) -> None:
        """Quit the window; if the background service runs, ask whether it stops too."""
        st = service_watch(self.ctx).status
        if st is not None and st.running:
            box = QMessageBox(QMessageBox.Icon.Question, "Quit Backup Desk",
                              "The background service keeps running scheduled backups and "
                              "device alerts after the window quits. Stop it too?",
                              parent=self.window)
            keep = box.addButton("Quit, keep the service", QMessageBox.ButtonRole.AcceptRole)
            stop = box.addButton("Quit and stop the service",
                                 QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(keep)
            box.setObjectName("quit-question")
            box.exec()
            clicked = box.clickedButton()
            if clicked is stop:
                self.ctx.setProperty("stop_service_on_quit", True)
            elif clicked is not keep:
                return
        QApplication.quit()
