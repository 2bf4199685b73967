"""The main window: navigation between panes, a status line and the tray icon."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from core import __version__
from gui.context import AppContext
from gui.panes import PANES
from gui.resources import resource

if TYPE_CHECKING:
    from gui.borgmatic_import import BorgmaticImport
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
        self.actions_by_name: dict[str, QAction] = {}
        self._borgmatic: BorgmaticImport | None = None
        self._menus()

    # -- menu bar and shortcuts -----------------------------------------------------------------
    def _action(self, menu: QMenu, name: str, text: str, keys: str | QKeySequence.StandardKey,
                slot: Callable[..., object]) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(keys))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        menu.addAction(act)
        self.actions_by_name[name] = act
        return act

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "refresh", "&Refresh", "F5", self.refresh_pane)
        self._action(file, "search", "&Search…", QKeySequence.StandardKey.Find,
                     self.focus_search)
        file.addSeparator()
        self._action(file, "quit", "&Quit", QKeySequence.StandardKey.Quit, self._quit)
        view = bar.addMenu("&View")
        for i, spec in enumerate(PANES):
            self._action(view, f"pane-{spec.key}", f"&{i + 1} {spec.title}", f"Ctrl+{i + 1}",
                         lambda _c=False, k=spec.key: self.show_pane(k))
        plan = bar.addMenu("&Plan")
        self._action(plan, "new-plan", "&New plan…", QKeySequence.StandardKey.New,
                     self.new_plan)
        self._action(plan, "run-now", "&Run now", "Ctrl+R", self.run_now)
        self._action(plan, "borgmatic-import", "Import from &borgmatic…", "",
                     self.import_borgmatic)
        self._action(plan, "delete", "&Delete…", QKeySequence.StandardKey.Delete,
                     self.delete_selected)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "guide", "&User guide", QKeySequence.StandardKey.HelpContents,
                     self.open_guide)
        self._action(help_menu, "about", "&About Backup Desk", "", self.about)

    def current_pane(self) -> QWidget | None:
        return self._panes.get(PANES[self.stack.currentIndex()].key)

    def _pane_call(self, method: str) -> bool:
        """Call the current pane's method if it has one; True if it did."""
        fn = getattr(self.current_pane(), method, None)
        if callable(fn):
            fn()
            return True
        return False

    def _click(self, *texts: str) -> bool:
        """Click the current pane's visible, enabled button with one of these texts."""
        pane = self.current_pane()
        for b in pane.findChildren(QAbstractButton) if pane is not None else []:
            if b.text().replace("&", "") in texts and b.isVisible() and b.isEnabled():
                b.click()
                return True
        return False

    def refresh_pane(self) -> None:
        if not self._pane_call("refresh_now"):
            self._pane_call("refresh")

    def focus_search(self) -> None:
        pane = self.current_pane()
        for edit in pane.findChildren(QLineEdit) if pane is not None else []:
            if edit.placeholderText().startswith("Search") and edit.isVisible():
                edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
                edit.selectAll()
                return

    def new_plan(self) -> None:
        settings = self.show_pane("settings")
        getattr(settings, "new_plan", lambda: None)()

    def import_borgmatic(self) -> None:
        from gui.borgmatic_import import BorgmaticImport  # YAML and the job layer: on use

        if self._borgmatic is None:
            self._borgmatic = BorgmaticImport(self.ctx, self)
        self._borgmatic.start()

    def run_now(self) -> None:
        if not self._pane_call("run_now_shortcut") and not self._click("Run now"):
            self.statusBar().showMessage("Select a plan in Settings to run it now.", 5000)

    def delete_selected(self) -> None:
        if isinstance(QApplication.focusWidget(), QLineEdit):
            return  # Delete inside a text field deletes text (the field gets it first anyway)
        if not self._pane_call("delete_selected"):
            self._click("Delete…")

    def open_guide(self) -> None:
        guide = user_guide()
        if guide is None or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(guide))):
            self.statusBar().showMessage(
                "The user guide (README.md) is not installed here; see "
                "`backupdesk --help`.", 8000)

    def about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Information, "About Backup Desk",
                          about_text(self.ctx), QMessageBox.StandardButton.Ok, self)
        box.setObjectName("about")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _quit(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.quit()

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


def about_text(ctx: AppContext) -> str:
    return (f"<h3>Backup Desk {html.escape(__version__)}</h3>"
            "<p>One desktop app for Borg repositories, archive backups and remote backup "
            "daemons.</p>"
            f"<p><b>Catalogue:</b> {html.escape(ctx.config.catalogue_url)}<br>"
            f"<b>Configuration:</b> {html.escape(str(ctx.config.paths.config_dir))}</p>"
            "<p>Licence: GNU General Public License, version 3 or later (GPL-3.0-or-later). "
            "This program comes with absolutely no warranty.</p>")


def user_guide() -> Path | None:
    """README.md, the user guide: beside the code (checkout, editable install), in the
    resources, or where the .deb puts the documentation."""
    candidates = [Path(__file__).resolve().parents[1] / "README.md", resource("README.md"),
                  Path("/usr/share/doc/backupdesk/README.md")]
    return next((c for c in candidates if c is not None and c.is_file()), None)
