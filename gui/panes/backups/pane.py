"""Backups pane: chains, verify, restore, copy out, delete (filled by the engine issues)."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.context import AppContext
from gui.widgets import EmptyState


class BackupsPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        lay = QVBoxLayout(self)
        lay.addWidget(EmptyState(
            "No backups to browse yet",
            "Backups made by the archive and Borg engines will be listed here as chains, "
            "with verify, restore, copy out and delete. Engines are not available in this "
            "version yet; the History pane already shows every job recorded in the catalogue.",
        ))
