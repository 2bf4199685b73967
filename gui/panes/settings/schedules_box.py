"""The plan's schedules: backup, verify and restore test, one time zone and one missed-run
policy for all three; the next five runs shown in that zone as you type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core import engines
from core.engines import Capability
from core.errors import BackupDeskError
from core.scheduling import due_times
from core.scheduling.expressions import friendly
from gui import theme
from gui.context import AppContext
from gui.panes.backups.guard import guarded
from gui.panes.settings.schedule_field import ScheduleField

KINDS = ("backup", "verify", "restore_test")
MISSED = [("Run it once at the next opportunity", "catch_up"),
          ("Skip it and wait for the next due time", "skip")]


@dataclass
class ScheduleSet:
    expressions: dict[str, str] = field(default_factory=dict)  # kind -> cron, '' = none
    timezone: str = ""  # '' = local time
    missed: str = "catch_up"


def zone_names() -> list[str]:
    return sorted(due_times.zone_names())  # also reads them once for zone_problem()


class SchedulesBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Schedules", parent)
        self.fields = {
            "backup": ScheduleField(),
            "verify": ScheduleField(empty="No verify schedule (re-hash every copy, or borg "
                                          "check)."),
            "restore_test": ScheduleField(empty="No restore test (restore a sample of the "
                                                "latest backup and compare it)."),
        }
        self.fields["verify"].edit.setPlaceholderText("optional, e.g. weekly on sun at 04:00")
        self.fields["restore_test"].edit.setPlaceholderText("optional, e.g. monthly on 1 at 05:00")
        self.zone = QLineEdit(placeholderText="local time, or a zone such as Europe/Rome")
        self.zone_info = QLabel()
        self.zone_info.setWordWrap(True)
        zone_box = QVBoxLayout()
        zone_box.setContentsMargins(0, 0, 0, 0)
        zone_box.addWidget(self.zone)
        zone_box.addWidget(self.zone_info)
        self.mixed = QLabel()  # when the CLI gave the schedules different zones or policies
        self.mixed.setWordWrap(True)
        self.mixed.setStyleSheet("color: #7a5a00;")
        self.mixed.setVisible(False)
        self.missed = QComboBox()
        for text, value in MISSED:
            self.missed.addItem(text, value)
        form = QFormLayout(self)
        form.addRow("Backup", self.fields["backup"])
        form.addRow("Verify", self.fields["verify"])
        form.addRow("Restore test", self.fields["restore_test"])
        form.addRow("Time zone", zone_box)
        form.addRow("A missed run", self.missed)
        form.addRow("", self.mixed)
        self.zone_ok = True
        self.zone.textChanged.connect(self._zone_changed)
        self._zone_changed()
        ctx.workers.submit(zone_names, on_result=guarded(self, self._completer))

    def _completer(self, names: list[str]) -> None:
        c = QCompleter(names, self.zone)
        c.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        c.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone.setCompleter(c)

    def _zone_changed(self) -> None:
        name = self.zone.text().strip()
        problem = due_times.zone_problem(name)
        try:
            tz = due_times.zone(name) if name and problem is None else None
        except BackupDeskError as e:
            problem = str(e)
        if problem is not None:
            self.zone_ok = False
            self.zone_info.setText(problem)
            self.zone_info.setStyleSheet(f"color: {theme.colour('error_text')};")
            self.zone_info.setVisible(True)
            return
        self.zone_ok = True
        self.zone_info.setText("" if name else "Empty: this computer's local time.")
        self.zone_info.setStyleSheet("")
        self.zone_info.setVisible(not name)
        for f in self.fields.values():
            f.set_zone(tz, name)

    def set_engine(self, engine: str) -> None:
        """Restore tests only where core can run them; a stored one stays as it is."""
        f = self.fields["restore_test"]
        able = engines.can(engine, Capability.RESTORE_TEST)
        f.edit.setEnabled(able or bool(f.text()))
        f.empty = ("No restore test (restore a sample of the latest backup and compare it)."
                   if able else f"Restore tests of {engine} plans are not available yet.")
        f.refresh()

    @property
    def valid(self) -> bool:
        return self.zone_ok and all(f.valid for f in self.fields.values())

    def problem(self) -> str:
        """What keeps the schedules from being saved ('' if nothing)."""
        if not self.zone_ok:
            return self.zone_info.text()
        for f in self.fields.values():
            if not f.valid:
                return f.info.text()
        return ""

    def load(self, schedules: list[dict[str, Any]]) -> None:
        """Show a plan's schedules (plan_json()["schedules"])."""
        by_kind = {s.get("kind"): s for s in schedules}
        for kind, f in self.fields.items():
            f.set_text(friendly(str(by_kind[kind]["expression"]))
                       if kind in by_kind else "")
        first = next((by_kind[k] for k in KINDS if k in by_kind), {})
        self.zone.setText(str(first.get("timezone") or ""))
        policy = first.get("missed_policy") or "catch_up"
        self.missed.setCurrentIndex(max(0, self.missed.findData(policy)))
        zones = {s.get("timezone") or "" for s in schedules}
        policies = {s.get("missed_policy") or "catch_up" for s in schedules}
        self.mixed.setText("These schedules have different time zones or missed-run policies "
                           "(set with <tt>backupdesk schedule set</tt>); saving gives all of "
                           "them the ones shown here.")
        self.mixed.setVisible(len(zones) > 1 or len(policies) > 1)

    def values(self) -> ScheduleSet:
        """The cron expressions to save; ConfigError for an invalid field."""
        return ScheduleSet({k: f.expression() for k, f in self.fields.items()},
                           self.zone.text().strip(), str(self.missed.currentData()))
