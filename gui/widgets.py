"""Small shared widgets: empty states, banners, chips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

BANNER_STYLES = {
    "ok": ("#e6f4ea", "#1e6b34", "#9bd3ae"),
    "warning": ("#fff7e0", "#7a5a00", "#f0d27a"),
    "error": ("#fde8e8", "#9b1c1c", "#f3a5a5"),
    "none": ("#eef1f5", "#3c4858", "#cfd6df"),
}


class EmptyState(QWidget):
    """An honest empty pane: what will be here and how to get there."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        head = QLabel(f"<h2>{title}</h2>")
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(text)
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(head)
        lay.addWidget(body)
        lay.addStretch(2)


class Banner(QLabel):
    """A coloured one-line status banner."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("banner")
        self.set_state("none", "")

    def set_state(self, level: str, text: str) -> None:
        bg, fg, border = BANNER_STYLES.get(level, BANNER_STYLES["none"])
        self.setProperty("level", level)
        self.setText(text)
        self.setStyleSheet(
            f"QLabel#banner {{ background: {bg}; color: {fg}; border: 1px solid {border};"
            " border-radius: 6px; padding: 8px 12px; font-weight: 600; }"
        )
        self.setVisible(bool(text))
