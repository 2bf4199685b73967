"""The calendar strip: per plan, one cell a day for the last 90 days (QPainter)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from core import history_days as hd
from gui import theme

# state -> (light, dark)
CELL_COLOURS: dict[str, tuple[str, str]] = {
    hd.OK: ("#2e9e4f", "#3fb866"),
    hd.PARTIAL: ("#e0a800", "#d9a520"),
    hd.LATE: ("#f0c640", "#b8962a"),
    hd.FAILED: ("#d23b3b", "#e05656"),
    hd.MISSING: ("#f08c8c", "#9c3a3a"),
    hd.NONE: ("#e3e6ea", "#353a41"),
}
LABELS = {hd.OK: "ran", hd.PARTIAL: "partial", hd.LATE: "late", hd.FAILED: "failed",
          hd.MISSING: "missing", hd.NONE: "not due"}
NAME_W = 130
ROW_H = 16
CELL_GAP = 1


def cell_colour(state: str) -> QColor:
    light, dark = CELL_COLOURS[state]
    return QColor(dark if theme.is_dark() else light)


class CalendarStrip(QWidget):
    """Rows of day cells; a click on a cell emits (plan, day)."""

    day_clicked = Signal(str, object)  # plan, datetime.date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strips: list[hd.PlanStrip] = []
        self._selected: tuple[str, date] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    @property
    def strips(self) -> list[hd.PlanStrip]:
        return self._strips

    def set_strips(self, strips: list[hd.PlanStrip]) -> None:
        self._strips = strips
        self.updateGeometry()
        self.update()

    def set_selected(self, sel: tuple[str, date] | None) -> None:
        self._selected = sel
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(NAME_W + 90 * 8, max(1, len(self._strips)) * ROW_H + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(NAME_W + 90 * 3, self.sizeHint().height())

    # -- geometry --------------------------------------------------------------------------
    def _cell_w(self) -> int:
        n = len(self._strips[0].cells) if self._strips else hd.DAYS
        return max(3, (self.width() - NAME_W - 4) // max(n, 1))

    def cell_rect(self, row: int, col: int) -> QRect:
        w = self._cell_w()
        return QRect(NAME_W + col * w, 1 + row * ROW_H, w - CELL_GAP, ROW_H - 3)

    def rect_of(self, plan: str, day: date) -> QRect | None:
        for row, s in enumerate(self._strips):
            for col, c in enumerate(s.cells):
                if s.plan == plan and c.day == day:
                    return self.cell_rect(row, col)
        return None

    def _hit(self, pos: QPoint) -> tuple[hd.PlanStrip, hd.DayCell] | None:
        if pos.x() < NAME_W or not self._strips:
            return None
        row = (pos.y() - 1) // ROW_H
        col = (pos.x() - NAME_W) // self._cell_w()
        if 0 <= row < len(self._strips) and 0 <= col < len(self._strips[row].cells):
            return self._strips[row], self._strips[row].cells[col]
        return None

    # -- events ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self._hit(event.position().toPoint())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.day_clicked.emit(hit[0].plan, hit[1].day)
        else:
            super().mousePressEvent(event)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            hit = self._hit(e.pos())
            if hit is None:
                QToolTip.hideText()
            else:
                s, c = hit
                QToolTip.showText(e.globalPos(), f"{s.plan} · {c.day:%a %d %b %Y}\n"
                                  f"{LABELS[c.state]}: {c.note}", self)
            return True
        return super().event(e)

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        text = self.palette().windowText().color()
        fm = p.fontMetrics()
        for row, s in enumerate(self._strips):
            y = 1 + row * ROW_H
            p.setPen(text)
            name = fm.elidedText(s.plan, Qt.TextElideMode.ElideRight, NAME_W - 8)
            p.drawText(QRect(0, y, NAME_W - 6, ROW_H - 3),
                       int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), name)
            p.setPen(Qt.PenStyle.NoPen)
            for col, c in enumerate(s.cells):
                p.fillRect(self.cell_rect(row, col), cell_colour(c.state))
        if self._selected is not None:
            r = self.rect_of(*self._selected)
            if r is not None:
                p.setPen(QPen(self.palette().highlight().color(), 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(r.adjusted(-1, -1, 1, 1))
        p.end()


def legend_html() -> str:
    """The strip's colours, named (for the current light or dark palette)."""
    parts = [(hd.OK, "ran"), (hd.PARTIAL, "partial or late"), (hd.FAILED, "failed or missing"),
             (hd.NONE, "not due")]
    return " ".join(f"<span style='color:{cell_colour(s).name()}'>■</span>&nbsp;{label}"
                    for s, label in parts)
