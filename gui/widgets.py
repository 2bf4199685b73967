"""Small shared widgets: empty states, banners, chips."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from gui import theme

LEVELS = ("ok", "warning", "error", "none")

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


class Banner(QFrame):
    """A coloured status banner with a close button. Each banner holds one outcome: the next
    set_state replaces it (and shows it again if it was closed)."""

    def __init__(self, parent: QWidget | None = None, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)  # parented: shown alone it would be a window
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.setVisible(closable)
        self.close_button.clicked.connect(self.dismiss)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_state("none", "")

    def text(self) -> str:
        return self.label.text()

    def set_state(self, level: str, text: str) -> None:
        tone = level if level in LEVELS else "none"
        bg, fg, border = (theme.colour(f"banner_{tone}_{part}") for part in ("bg", "fg", "border"))
        self.setProperty("level", level)
        self.label.setText(text)
        self.setStyleSheet(
            f"QFrame#banner {{ background: {bg}; border: 1px solid {border};"
            f" border-radius: 6px; }} QFrame#banner QLabel {{ color: {fg}; font-weight: 600;"
            f" background: transparent; border: none; }} QFrame#banner QToolButton {{"
            f" color: {fg}; border: none; }}"
        )
        self.setVisible(bool(text))

    def dismiss(self) -> None:
        self.setVisible(False)
