"""Mouse and keyboard helpers for the end-to-end GUI tests: a person's clicks and keys on the
real widgets of the real main window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QWidget


def click(qtbot: Any, w: QAbstractButton | QWidget) -> None:
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton)


def type_into(qtbot: Any, edit: QLineEdit, text: str, *, clear: bool = True) -> None:
    """Focus the field with a click, select what is there, type character by character."""
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    if clear:
        edit.selectAll()
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def choose(qtbot: Any, combo: QComboBox, text: str) -> None:
    """Pick an entry with the keyboard: focus, then arrow keys down to the wanted text."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not offered"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(index):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text


def open_pane(qtbot: Any, window: Any, title: str) -> QWidget:
    """Click the pane's entry in the navigation list."""
    nav = window.nav
    for row in range(nav.count()):
        if nav.item(row).text() == title:
            rect = nav.visualItemRect(nav.item(row))
            qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            key = title.lower()
            qtbot.waitUntil(lambda k=key: window.pane(k) is window.stack.currentWidget(),
                            timeout=5000)
            pane: QWidget = window.stack.currentWidget()
            return pane
    raise AssertionError(f"no pane {title!r}")
