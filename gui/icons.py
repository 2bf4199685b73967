"""State icons drawn in code (no image plugin needed at start-up)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

STATE_COLOURS = {"ok": "#2e7d32", "running": "#1565c0", "warning": "#f9a825",
                 "error": "#c62828", "none": "#78909c"}


def state_icon(state: str, size: int = 64) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(STATE_COLOURS.get(state, STATE_COLOURS["none"]))
    p.setPen(QPen(colour.darker(130), size / 16))
    p.setBrush(colour)
    m = size / 8
    p.drawRoundedRect(QRectF(m, m * 1.5, size - 2 * m, size - 3 * m), size / 8, size / 8)
    p.setPen(QPen(QColor("white"), size / 12))
    p.drawLine(int(size * 0.3), int(size * 0.5), int(size * 0.7), int(size * 0.5))
    p.end()
    return QIcon(pm)
