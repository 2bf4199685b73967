"""Painting of the status chip and the trigger badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gui.style import STATUS_COLOURS, TRIGGER_COLOURS, TRIGGER_LABELS


class ChipDelegate(QStyledItemDelegate):
    """Draws the cell's text inside a rounded, coloured chip."""

    def __init__(self, colours: dict[str, tuple[str, str]], labels: dict[str, str] | None = None,
                 parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._colours = colours
        self._labels = labels or {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = str(index.data() or "")
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        if not value:
            return
        bg, fg = self._colours.get(value, ("#e0e0e0", "#212121"))
        text = self._labels.get(value, value)
        fm = QFontMetrics(option.font)
        rect: QRect = option.rect
        w = min(fm.horizontalAdvance(text) + 16, rect.width() - 6)
        h = min(fm.height() + 6, rect.height() - 4)
        chip = QRect(rect.x() + 4, rect.y() + (rect.height() - h) // 2, w, h)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(chip, h / 2, h / 2)
        painter.setPen(QColor(fg))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(s.width() + 24, max(s.height(), 26))


def status_delegate(parent: object = None) -> ChipDelegate:
    return ChipDelegate(STATUS_COLOURS, parent=parent)


def trigger_delegate(parent: object = None) -> ChipDelegate:
    return ChipDelegate(TRIGGER_COLOURS, TRIGGER_LABELS, parent=parent)
