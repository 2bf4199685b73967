"""The schedule field: preset words and phrases or cron; the next five runs as you type."""

from __future__ import annotations

from datetime import datetime, tzinfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from core.errors import BackupDeskError
from core.scheduling import due_times, expressions
from gui import theme


def to_expression(text: str) -> str:
    """The cron expression to store for what the user typed ('' for no schedule): preset
    words and phrases ("daily at 03:30", "weekly on mon at 04:00", "every 15 minutes") or cron,
    as core.scheduling.expressions reads them. Raises ConfigError for anything else."""
    text = " ".join(text.strip().split())
    return expressions.normalise(text) if text else ""


def preview(text: str, now: datetime | None = None, tz: tzinfo | None = None,
            zone_name: str = "") -> tuple[bool, str]:
    """(valid, what to show under the field): the next five runs in `tz` (default: local
    time), or the error."""
    try:
        expr = to_expression(text)
    except BackupDeskError as e:
        return False, str(e)
    if not expr:
        return True, "No schedule: the plan runs only when you press Run now."
    start = (now or datetime.now()).astimezone()
    runs = expressions.next_runs(expr, start, 5, tz or due_times.local_zone())
    when = ", ".join(t.strftime("%a %Y-%m-%d %H:%M") for t in runs)
    return True, f"<tt>{expr}</tt> — next runs ({zone_name or 'local time'}): {when}"


class ScheduleField(QWidget):
    validity = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, empty: str = "") -> None:
        super().__init__(parent)
        self.empty = empty  # what an empty field means, if not "runs only with Run now"
        self.tz: tzinfo | None = None
        self.zone_name = ""
        self.edit = QLineEdit(placeholderText="daily, daily at 03:30, weekly on mon at 04:00, "
                                              "every 15 minutes, or cron: 30 2 * * 1-5")
        self.info = QLabel()
        self.info.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit)
        lay.addWidget(self.info)
        self.valid = True
        self.edit.textChanged.connect(self._update)
        self._update()

    def set_zone(self, tz: tzinfo | None, name: str) -> None:
        """Show the next runs in this zone (None: local time)."""
        self.tz, self.zone_name = tz, name
        self._update()

    def refresh(self) -> None:
        self._update()

    def _update(self) -> None:
        self.valid, text = preview(self.edit.text(), tz=self.tz, zone_name=self.zone_name)
        if self.valid and self.empty and not self.edit.text().strip():
            text = self.empty
        self.info.setText(text)
        self.info.setStyleSheet("" if self.valid else f"color: {theme.colour('error_text')};")
        self.validity.emit(self.valid)

    def text(self) -> str:
        return self.edit.text().strip()

    def expression(self) -> str:
        return to_expression(self.edit.text())

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
