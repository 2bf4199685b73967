"""What a person does with the window: click the navigation, rows and buttons, type one key
at a time, answer the dialog that opens. Shared by the Backups and History end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QRadioButton,
    QWidget,
)

POLL_MS = 20
# A file chooser on the offscreen platform says it cannot raise or grab the keyboard.
OFFSCREEN = pytest.mark.qt_log_ignore("This plugin does not support")


def click(qtbot: Any, widget: QWidget) -> None:
    assert widget.isVisible() and widget.isEnabled(), f"{widget!r} cannot be clicked"
    if isinstance(widget, QCheckBox | QRadioButton):  # on its box, not the empty space after
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_text(qtbot: Any, edit: QLineEdit, text: str) -> None:
    """Select what is there and type over it, character by character."""
    click(qtbot, edit)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def click_row(qtbot: Any, view: QAbstractItemView, index: QModelIndex,
              modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    view.scrollTo(index)
    rect = view.visualRect(index)
    assert rect.isValid(), f"row {index.row()} is not on screen"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def open_pane(qtbot: Any, window: Any, title: str) -> Any:
    """Click the pane's entry in the navigation list; return the pane once it is built."""
    nav = window.nav
    item = next(nav.item(i) for i in range(nav.count()) if nav.item(i).text() == title)
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton,
                     pos=nav.visualItemRect(item).center())
    key = item.data(Qt.ItemDataRole.UserRole)
    qtbot.waitUntil(lambda: window.pane(key) is not None and window.pane(key).isVisible(),
                    timeout=10000)
    return window.pane(key)


def when_dialog(qtbot: Any, answer: Callable[[QWidget], None],
                kind: type[QWidget] = QDialog, timeout_ms: int = 20000) -> list[QWidget]:
    """Answer the next modal dialog of `kind` with `answer(dialog)` once it is on screen.
    Returns a list that holds the dialog after it was answered (the test checks it)."""
    seen: list[QWidget] = []
    timer = QTimer()
    left = [timeout_ms // POLL_MS]

    def poll() -> None:
        left[0] -= 1
        shown = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, kind) and w.isVisible() and w.isModal() and w not in seen]
        if shown:
            timer.stop()
            seen.append(shown[-1])
            try:
                answer(shown[-1])
            except BaseException:
                shown[-1].close()  # a failed answer must not leave the test waiting
                raise
        elif left[0] <= 0:
            timer.stop()

    timer.timeout.connect(poll)
    timer.start(POLL_MS)
    seen_timer.append(timer)  # keep the timer alive until the test ends
    return seen


seen_timer: list[QTimer] = []


def button(dialog: QWidget, text: str) -> QAbstractButton:
    """The dialog's button whose text (without the mnemonic &) is `text`."""
    found = [b for b in dialog.findChildren(QAbstractButton)
             if b.text().replace("&", "") == text and b.isVisible()]
    assert found, f"no button {text!r} in {dialog!r}"
    return found[0]


def into_folder(qtbot: Any, pane: Any, start: QAbstractButton, dialog: type[QWidget],
                folder: Path, ok: str, timeout_ms: int = 60000) -> None:
    """Click `start`, type `folder` into the dialog that opens, press `ok`; wait for the
    pane's operation to end."""
    def answer(dlg: Any) -> None:
        type_text(qtbot, dlg.folder.edit, str(folder))
        click(qtbot, button(dlg, ok))

    when_dialog(qtbot, answer, dialog)
    with qtbot.waitSignal(pane.ops.done, timeout=timeout_ms):
        click(qtbot, start)


def pick_folder(qtbot: Any, folder: Path) -> Callable[[QWidget], None]:
    """Answer a folder chooser: type the path into its name field, press Enter."""
    def answer(dlg: QWidget) -> None:
        edit = dlg.findChild(QLineEdit, "fileNameEdit")
        # Pasted, not typed: Qt's own chooser selects matching entries while one types and
        # quotes them into the field ("/" "tmp"…), which is Qt's behaviour, not the app's.
        click(qtbot, edit)
        edit.setText(str(folder))
        box = dlg.findChild(QDialogButtonBox)
        ok = next(b for b in box.buttons()
                  if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
        qtbot.waitUntil(ok.isEnabled, timeout=5000)
        click(qtbot, ok)
    return answer


def shot(widget: QWidget, out: Path) -> QImage:
    """A screenshot of the widget as drawn, saved for the person reviewing the test."""
    image = widget.grab().toImage()
    image.save(str(out))
    return image


def colour_at(widget: QWidget, image: QImage, inner: QWidget) -> QColor:
    """The colour a few pixels inside `inner`'s top-left corner, in `widget`'s screenshot."""
    p = inner.mapTo(widget, QPoint(4, inner.height() // 2))
    scale = image.devicePixelRatio()
    return image.pixelColor(int(p.x() * scale), int(p.y() * scale))
