"""Painting of the status chip and the trigger badge."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPolygon
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gui import theme
from gui.style import STATUS_COLOURS, TRIGGER_COLOURS, TRIGGER_LABELS

WARNING_MARK = "⚠"


class ChipDelegate(QStyledItemDelegate):
    """Draws the cell's text inside a rounded, coloured chip."""

    def __init__(self, colours: dict[str, tuple[str, str]], labels: dict[str, str] | None = None,
                 parent: object = None, mark_role: int | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._colours = colours
        self._labels = labels or {}
        self._mark_role = mark_role  # a role whose non-empty value draws a warning mark

    def mark_rect(self, option_rect: QRect, chip: QRect) -> QRect:
        return QRect(chip.right() + 4, option_rect.y(), 18, option_rect.height())

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
        if self._mark_role is not None and index.data(self._mark_role):
            paint_mark(painter, self.mark_rect(rect, chip))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(s.width() + 24, max(s.height(), 26))


def paint_mark(painter: QPainter, box: QRect) -> None:
    """A filled warning triangle with an exclamation mark, centred in `box`."""
    side = min(16, box.width(), box.height() - 4)
    x0 = box.x() + (box.width() - side) // 2
    y0 = box.y() + (box.height() - side) // 2
    tri = QPolygon([QPoint(x0 + side // 2, y0), QPoint(x0 + side, y0 + side),
                    QPoint(x0, y0 + side)])
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.colour("warn_mark")))
    painter.drawPolygon(tri)
    painter.setPen(QColor("#ffffff"))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(max(8, side * 2 // 3))
    painter.setFont(font)
    painter.drawText(QRect(x0, y0 + side // 4, side, side * 3 // 4),
                     Qt.AlignmentFlag.AlignCenter, "!")


def status_delegate(parent: object = None, mark_role: int | None = None) -> ChipDelegate:
    return ChipDelegate(STATUS_COLOURS, parent=parent, mark_role=mark_role)


def trigger_delegate(parent: object = None) -> ChipDelegate:
    return ChipDelegate(TRIGGER_COLOURS, TRIGGER_LABELS, parent=parent)
