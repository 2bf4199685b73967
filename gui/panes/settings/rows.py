"""Editable lists of the plan editor: destinations (checked as you type) and databases (with a
"Test connection" button). Every check runs in a worker."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.destinations import check_destination
from core.engines.dumps import ops as dumps
from core.engines.dumps.urls import redact
from core.fmt import human_bytes
from gui import theme
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.guard import guarded


def _style(name: str) -> str:
    return f"color: {theme.colour(name)};"



class Row(QWidget):
    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(placeholderText=placeholder)
        self.remove_button = QPushButton("Remove")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.line = QHBoxLayout()
        self.line.setContentsMargins(0, 0, 0, 0)
        self.line.addWidget(self.edit, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(self.line)
        lay.addWidget(self.status)
        self.ok: bool | None = None
        self.show_status(None, "")

    def show_status(self, ok: bool | None, text: str) -> None:
        self.ok = ok
        self.status.setText(text)
        self.status.setStyleSheet(_style("ok_text") if ok else _style("error_text")
                                  if ok is False else "")
        self.status.setVisible(bool(text))


class RowList(QWidget):
    """A column of rows with an Add button; subclasses make the rows."""

    changed = Signal()

    def __init__(self, ctx: AppContext, add_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[Row] = []
        self.column = QVBoxLayout()
        self.column.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(add_text)
        self.add_button.clicked.connect(self._add_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.column)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)

    def make_row(self) -> Row:
        raise NotImplementedError

    def add_row(self, text: str) -> Row:
        row = self.make_row()
        row.remove_button.clicked.connect(lambda: self.remove_row(row))
        row.edit.textChanged.connect(lambda _: self.changed.emit())
        self.rows.append(row)
        self.column.addWidget(row)
        row.edit.setText(text)
        return row

    def _add_clicked(self) -> None:
        self.add_row("").edit.setFocus()  # type into the new row at once

    def remove_row(self, row: Row) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    def set_values(self, values: list[str]) -> None:
        for row in list(self.rows):
            self.remove_row(row)
        for v in values:
            self.add_row(v)

    def values(self) -> list[str]:
        return [r.edit.text().strip() for r in self.rows if r.edit.text().strip()]


class DestinationList(RowList):
    """Each destination is checked 300 ms after the last keystroke: absolute, exists or can
    be created, writable, free space (core.destinations.check_destination)."""

    checked = Signal(str, bool)  # location, ok

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Add destination", parent)

    def set_values(self, values: list[str]) -> None:
        super().set_values(values)
        for row in self.rows:  # a saved plan's destinations are checked at once
            self._check(row)

    def make_row(self) -> Row:
        row = Row("/mnt/usb/backups")
        browse = QPushButton("Browse…")
        row.line.addWidget(browse)
        row.line.addWidget(row.remove_button)
        timer = QTimer(row)
        timer.setSingleShot(True)
        timer.setInterval(300)
        timer.timeout.connect(lambda: self._check(row))
        row.edit.textChanged.connect(lambda _: timer.start())
        browse.clicked.connect(lambda: self._browse(row))
        return row

    def _browse(self, row: Row) -> None:
        path = QFileDialog.getExistingDirectory(self, "Destination folder", row.edit.text())
        if path:
            row.edit.setText(path)

    def _check(self, row: Row) -> None:
        text = row.edit.text().strip()
        if not text:
            row.show_status(None, "")
            return
        row.show_status(None, "Checking…")
        self.ctx.workers.submit(check_destination, text,
                                on_result=guarded(row, lambda res: self._checked(row, text, res)),
                                on_error=guarded(row, lambda e: self._failed(row, text, e)))

    def _checked(self, row: Row, text: str, res: object) -> None:
        if row not in self.rows or row.edit.text().strip() != text:
            return  # typed on meanwhile
        ok = bool(getattr(res, "ok", False))
        free = getattr(res, "free_bytes", None)
        if ok:
            what = "exists" if getattr(res, "exists", False) else "will be created"
            extra = f", {human_bytes(free)} free" if free is not None else ""
            row.show_status(True, f"✓ Writable folder, {what}{extra}.")
        else:
            row.show_status(False, f"✗ {getattr(res, 'message', '')}")
        self.checked.emit(text, ok)

    def _failed(self, row: Row, text: str, e: BaseException) -> None:
        if row in self.rows and row.edit.text().strip() == text:
            row.show_status(False, f"✗ {error_text(e)}")
            self.checked.emit(text, False)

    def all_ok(self) -> bool:
        return all(r.ok is not False for r in self.rows if r.edit.text().strip())


class DatabaseList(RowList):
    tested = Signal(str, bool, str)  # redacted URL, ok, message

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "Add database", parent)
        # Looks up a stored password for a redacted URL (set by the editor for a saved plan).
        self.lookup: Callable[[str], str | None] | None = None

    def make_row(self) -> Row:
        row = Row("sqlite:///path/app.db · postgresql://user:password@host:5432/db · "
                  "mysql://user@host:3306/db")
        test = QPushButton("Test connection")
        row.line.addWidget(test)
        row.line.addWidget(row.remove_button)
        test.clicked.connect(lambda: self.test(row))
        row.edit.textChanged.connect(lambda _: row.show_status(None, ""))
        return row

    def test(self, row: Row) -> None:
        url = row.edit.text().strip()
        if not url:
            return
        lookup = self.lookup
        row.show_status(None, "Connecting…")

        def work() -> tuple[str, str]:
            db = dumps.parse(url)
            if db.password is None and lookup is not None and db.kind != "sqlite":
                db = dataclasses.replace(db, password=lookup(db.redacted))
            return db.redacted, dumps.test_connection(db)

        self.ctx.workers.submit(work, on_result=guarded(row, lambda r: self._tested(row, url, r)),
                                on_error=guarded(row, lambda e: self._test_failed(row, url, e)))

    def _tested(self, row: Row, url: str, result: tuple[str, str]) -> None:
        if row in self.rows and row.edit.text().strip() == url:
            row.show_status(True, f"✓ {result[1]}")
        self.tested.emit(result[0], True, result[1])

    def _test_failed(self, row: Row, url: str, e: BaseException) -> None:
        text = error_text(e)
        if row in self.rows and row.edit.text().strip() == url:
            row.show_status(False, f"✗ {text}")

        self.tested.emit(redact(url), False, text)
