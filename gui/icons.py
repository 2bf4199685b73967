"""Icons: the SVGs of resources/icons rendered with QtSvg, drawn in code when they are missing.

Call these after the first paint: QtSvg and the files are not needed to show the window.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from gui.resources import resource

STATE_COLOURS = {"ok": "#2e7d32", "running": "#1565c0", "warning": "#f9a825",
                 "error": "#c62828", "none": "#78909c"}
STATES = tuple(STATE_COLOURS)
SIZES = (16, 22, 24, 32, 48, 64, 128)


def _svg_icon(name: str) -> QIcon | None:
    path = resource("icons", f"{name}.svg")
    if path is None:
        return None
    from PySide6.QtSvg import QSvgRenderer  # after the first paint

    renderer = QSvgRenderer(str(path))
    if not renderer.isValid():
        return None
    icon = QIcon()
    for size in SIZES:
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p, QRectF(0, 0, size, size))
        p.end()
        icon.addPixmap(pm)
    return icon


@cache
def app_icon() -> QIcon:
    return _svg_icon("backupdesk") or drawn_state_icon("ok")


@cache
def state_icon(state: str, size: int = 64) -> QIcon:
    """The tray icon of a state: ok, running, warning, error (anything else: none)."""
    name = state if state in STATE_COLOURS else "none"
    return _svg_icon(f"tray-{name}") or drawn_state_icon(name, size)


def drawn_state_icon(state: str, size: int = 64) -> QIcon:
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
