"""The panel beside the tiles: the selected device's summary and raw JSON."""

from __future__ import annotations

import html
import json
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core.grid.board import DeviceView
from core.grid.describe import tooltip


class DetailPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("Select a device to see its details.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.raw = QPlainTextEdit()
        self.raw.setReadOnly(True)
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setPlaceholderText("Raw JSON of the selected device")
        lay.addWidget(self.summary)
        lay.addWidget(self.raw, 1)
        self.key: str | None = None

    def show_device(self, d: DeviceView | None) -> None:
        self.key = d.key if d else None
        if d is None:
            self.summary.setText("Select a device to see its details.")
            self.raw.clear()
            return
        head, _, rest = tooltip(d.device, d.state, time.time(), d.reason).partition("\n")
        lines = [f"<b>{html.escape(head)}</b>", *map(html.escape, rest.splitlines()),
                 html.escape(f"Node: {d.target} · id {d.device_id}")]
        self.summary.setText("<br>".join(lines))
        text = json.dumps(d.detail(), indent=2, ensure_ascii=False, default=str)
        if text != self.raw.toPlainText():
            self.raw.setPlainText(text)
