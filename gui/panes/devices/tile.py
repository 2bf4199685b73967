"""How a device tile looks: the Ethoscope board's colours, a breathing orange while backing
up, a hatched violet with a warning mark for invalid data."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from core.grid.board import DeviceView
from core.grid.describe import STATE_LABELS
from gui import theme
from gui.panes.devices.model import DEVICE_ROLE

COLOURS = {
    "processing": "#f08a24",
    "success": "#2e9d4f",
    "partial": "#d4a514",
    "error": "#d64541",
    "unknown": "#9aa0a6",
    "offline": "#1d1d1f",
    "invalid": "#7e57c2",
}
TEXT_ON = {"partial": "#2b2100", "unknown": "#1d1d1f"}
TILE = QSize(176, 66)


def state_label(d: DeviceView) -> str:
    label = STATE_LABELS.get(d.state) or d.state or STATE_LABELS["unknown"]
    if d.processing and d.state not in ("offline", "invalid"):
        label = f"Backing up · {label.lower()}"
    return label


def tile_texts(d: DeviceView, bold: QFontMetrics, plain: QFontMetrics, width: int
               ) -> tuple[str, str]:
    """The tile's two lines. The name is elided in the middle: INCUBATO…COPE_042 stays told
    apart from INCUBATO…COPE_043 (the full text is in the tooltip); the state line keeps its
    start."""
    mark = "\u26a0 " if d.state == "invalid" else ""
    return (bold.elidedText(mark + d.name, Qt.TextElideMode.ElideMiddle, width),
            plain.elidedText(f"{state_label(d)} · {d.target}", Qt.TextElideMode.ElideRight,
                             width))


def tile_colour(state: str, processing: bool, phase: float = 0.0) -> QColor:
    """The fill for a tile; a processing tile breathes between two shades of orange."""
    if processing and state not in ("offline", "invalid"):
        c = QColor(COLOURS["processing"])
        return c.lighter(100 + int(18 * (1 + math.sin(phase)) / 2))
    if state == "offline":
        return QColor(theme.colour("tile_offline"))
    return QColor(COLOURS.get(state, COLOURS["unknown"]))


class TileDelegate(QStyledItemDelegate):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.phase = 0.0

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return TILE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        d = index.data(DEVICE_ROLE)
        if d is None:
            return
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = tile_colour(d.state, d.processing, self.phase)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 8, 8)
        if d.state == "invalid":
            painter.setBrush(QBrush(QColor(255, 255, 255, 60), Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect, 8, 8)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(option.palette.highlight().color(), 3))
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 8, 8)
        fg = QColor(TEXT_ON.get(d.state, "#ffffff")) if not d.processing else QColor("#2b1500")
        if d.state in ("offline", "invalid"):
            fg = QColor("#ffffff")
        painter.setPen(fg)
        text = rect.adjusted(10, 6, -10, -6)
        bold = QFont(option.font)
        bold.setBold(True)
        name, sub = tile_texts(d, QFontMetrics(bold), QFontMetrics(option.font), text.width())
        painter.setFont(bold)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, name)
        painter.setFont(option.font)
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, sub)
        painter.restore()


class TileView(QListView):
    """The tiles' list, saying why it is empty when it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = ""

    def set_placeholder(self, text: str) -> None:
        if text != self.placeholder:
            self.placeholder = text
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.placeholder and (model is None or model.rowCount() == 0):
            p = QPainter(self.viewport())
            p.setPen(self.palette().placeholderText().color())
            p.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                       | Qt.TextFlag.TextWordWrap, self.placeholder)
            p.end()
