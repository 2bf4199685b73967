"""The main window: navigation between panes, a status line and the tray icon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from core import __version__
from gui.context import AppContext
from gui.panes import PANES

if TYPE_CHECKING:
    from gui.tray import Tray


class MainWindow(QMainWindow):
    first_painted = Signal()

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Backup Desk")
        self.resize(1280, 800)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(170)
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setStyleSheet(
            "QListWidget#nav { border: none; background: palette(window); font-size: 14px;"
            " outline: none; }"
            "QListWidget#nav::item { padding: 10px 14px; border-radius: 6px; margin: 2px 6px; }"
            "QListWidget#nav::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }")
        self.stack = QStackedWidget()
        self._panes: dict[str, QWidget] = {}
        for spec in PANES:
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # placeholder until the pane is first shown
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.nav)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel(f"Backup Desk {__version__} · {ctx.config.catalogue_url}")
        self.status_label.setMinimumWidth(1)  # a long catalogue URL must not widen the window
        self.statusBar().addWidget(self.status_label, 1)
        self.nav.currentRowChanged.connect(self._select_row)
        ctx.catalogue_failed.connect(
            lambda e: self.statusBar().showMessage(f"Catalogue error: {e}"))
        self._painted = False
        self.tray: Tray | None = None
        # The first pane is built right after the window's first paint: the window shows at
        # once, and the pane's widgets follow within a frame (its data comes later anyway).
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(0)
        self.nav.blockSignals(False)

    def _select_row(self, row: int) -> None:
        if row < 0:
            return
        spec = PANES[row]
        pane = self._panes.get(spec.key)
        if pane is None:
            pane = spec.factory(self.ctx)
            self._panes[spec.key] = pane
            old = self.stack.widget(row)
            self.stack.insertWidget(row, pane)
            if old is not None:
                self.stack.removeWidget(old)
                old.deleteLater()
        self.stack.setCurrentIndex(row)

    def show_pane(self, key: str) -> QWidget:
        for i, spec in enumerate(PANES):
            if spec.key == key:
                self.nav.setCurrentRow(i)
                self._select_row(i)
                return self._panes[key]
        raise KeyError(key)

    def pane(self, key: str) -> QWidget | None:
        return self._panes.get(key)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()
            QTimer.singleShot(0, self, lambda: self._select_row(self.nav.currentRow()))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.tray is not None and self.tray.keeps_running():
            self.hide()
            event.ignore()
            return
        super().closeEvent(event)
