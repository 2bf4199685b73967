"""Settings pane: plans, destinations, schedules, nodes (filled by later issues)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.context import AppContext
from gui.widgets import EmptyState


class SettingsPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        lay = QVBoxLayout(self)
        where = QLabel(
            f"<b>Catalogue:</b> {ctx.config.catalogue_url}<br>"
            f"<b>Logs:</b> {ctx.config.paths.log_dir}"
        )
        where.setTextInteractionFlags(where.textInteractionFlags()
                                      | where.textInteractionFlags().TextSelectableByMouse)
        lay.addWidget(where)
        lay.addWidget(EmptyState(
            "Plans are edited from the command line for now",
            "The plan editor comes with the engines. Meanwhile: "
            "backupdesk plan add NAME --engine archive --source PATH --dest PATH",
        ))
