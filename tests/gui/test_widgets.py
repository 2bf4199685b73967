from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from gui.widgets import Banner


class _WindowsShown(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow():
            self.shown.append(type(obj).__name__)
        return False


def test_a_banner_opens_no_window_of_its_own(qtbot) -> None:
    """A part shown before it had a parent flashed as a window and took the focus away from
    the main window (keyboard shortcuts then went nowhere)."""
    host = QWidget()
    qtbot.addWidget(host)
    spy = _WindowsShown()
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(spy)
    try:
        banner = Banner()  # as the panes make them: built first, laid out after
        banner.setParent(host)
        banner.set_state("ok", "Saved.")
    finally:
        app.removeEventFilter(spy)
    assert spy.shown == [], spy.shown
