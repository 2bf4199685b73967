"""The trend chart in a job's details: size, duration and files over the plan's last runs,
with the anomaly band (QPainter; light and dark palettes)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.fmt import human_bytes, human_duration
from core.history_days import Series, Trend
from gui import theme

TITLES = {"size": "Size", "duration": "Duration", "files": "Files"}
# (light, dark)
LINE = ("#1d5fbf", "#7fb0ff")
BAND = ("#2e9e4f", "#3fb866")
BAD = ("#c62828", "#ff6b6b")
PARTIAL = ("#c28a00", "#f0c75e")


def _c(pair: tuple[str, str], alpha: int = 255) -> QColor:
    c = QColor(pair[1] if theme.is_dark() else pair[0])
    c.setAlpha(alpha)
    return c


def _fmt(name: str) -> Callable[[float], str]:
    if name == "size":
        return lambda v: human_bytes(int(v)) or "0 B"
    if name == "duration":
        return lambda v: human_duration(int(v)) or "0 s"
    return lambda v: f"{int(v):,}"


class TrendChart(QWidget):
    PANEL_GAP = 8
    LEFT = 80

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trend: Trend | None = None
        self.selected: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(600, 260)

    def set_trend(self, trend: Trend | None, selected: int | None = None) -> None:
        self.trend = trend
        self.selected = selected
        self.update()

    def plot_rect(self, i: int) -> QRectF:
        """The plotting area of the i-th series' panel."""
        n = len(self.trend.series) if self.trend else 3
        h = (self.height() - self.PANEL_GAP * (n - 1)) / n
        top = i * (h + self.PANEL_GAP)
        return QRectF(self.LEFT, top + 16, self.width() - self.LEFT - 12, h - 20)

    def point(self, i: int, run: int) -> QPointF | None:
        """Where the run's value of series i is drawn (None: no value)."""
        if self.trend is None:
            return None
        s = self.trend.series[i]
        v = s.values[run]
        if v is None:
            return None
        r = self.plot_rect(i)
        top = self._top(s)
        n = len(s.values)
        x = r.left() + (r.width() * (run + 0.5) / n)
        y = r.bottom() - r.height() * min(v, top) / top
        return QPointF(x, y)

    @staticmethod
    def _top(s: Series) -> float:
        known = [v for v in s.values if v is not None]
        top = max(known, default=0.0)
        if s.band is not None:
            top = max(top, s.band.median * 1.6)
        return top * 1.08 or 1.0

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        faint = self.palette().placeholderText().color()
        if self.trend is None or not self.trend.job_ids:
            p.setPen(faint)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                       "No finished backups of this plan yet.")
            p.end()
            return
        for i, s in enumerate(self.trend.series):
            self._panel(p, i, s, text, faint)
        p.end()

    def _panel(self, p: QPainter, i: int, s: Series, text: QColor, faint: QColor) -> None:
        assert self.trend is not None
        r = self.plot_rect(i)
        fmt = _fmt(s.name)
        top = self._top(s)
        p.setPen(text)
        title = f"{TITLES.get(s.name, s.name)} — last {len(s.values)} runs"
        if s.band is not None:
            title += (f"; usual {fmt(s.band.median)}, anomaly below {fmt(s.band.low)}"
                      f" or above {fmt(s.band.high)}")
        else:
            title += "; no band before 5 successful runs"
        p.drawText(QRectF(0, r.top() - 16, self.width(), 14),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
        p.setPen(QPen(faint, 1))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        p.drawText(QRectF(0, r.top() - 2, self.LEFT - 6, 14),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop), fmt(top))
        p.drawText(QRectF(0, r.bottom() - 12, self.LEFT - 6, 14),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom), fmt(0))
        if s.band is not None:  # the band of usual values, and its median
            y_hi = r.bottom() - r.height() * min(s.band.high, top) / top
            y_lo = r.bottom() - r.height() * s.band.low / top
            p.fillRect(QRectF(r.left(), y_hi, r.width(), y_lo - y_hi), _c(BAND, 40))
            y_med = r.bottom() - r.height() * s.band.median / top
            p.setPen(QPen(_c(BAND, 160), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(r.left(), y_med), QPointF(r.right(), y_med))
        if self.selected in self.trend.job_ids:
            at = self.trend.job_ids.index(self.selected)
            x = r.left() + r.width() * (at + 0.5) / len(s.values)
            p.setPen(QPen(self.palette().highlight().color(), 2))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        pts = [self.point(i, k) for k in range(len(s.values))]
        p.setPen(QPen(_c(LINE), 1.5))
        prev: QPointF | None = None
        for pt in pts:
            if pt is not None and prev is not None:
                p.drawLine(prev, pt)
            prev = pt
        for k, pt in enumerate(pts):
            if pt is None:
                continue
            v = s.values[k]
            status = self.trend.statuses[k]
            out = s.band is not None and v is not None and not s.band.low <= v <= s.band.high
            colour = (_c(BAD) if status == "failed" or out
                      else _c(PARTIAL) if status == "partial" else _c(LINE))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            radius = 4.0 if out or self.trend.job_ids[k] == self.selected else 2.5
            p.drawEllipse(pt, radius, radius)
