"""The History filter bar: turns widget state into a core HistoryFilter."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLineEdit, QWidget

from core.catalogue.enums import JobStatus, JobTrigger
from core.catalogue.rows import HistoryFilter
from core.timeutil import to_naive_utc

PERIODS = ["Any time", "Today", "Last 7 days", "Last 30 days", "Custom…"]


def _combo(all_label: str, items: list[str], tip: str) -> QComboBox:
    c = QComboBox()
    c.addItems([all_label, *items])
    c.setToolTip(tip)
    c.setMinimumContentsLength(6)
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    return c


def _local_midnight(d: QDate) -> datetime:
    local = datetime.combine(d.toPython(), time()).astimezone()  # type: ignore[arg-type]
    return to_naive_utc(local)


class FilterBar(QWidget):
    changed = Signal(object)  # HistoryFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = _combo("All plans", [], "Plan")
        self.status = _combo("All statuses", [s.value for s in JobStatus], "Status")
        self.engine = _combo("All engines", [], "Engine")
        self.trigger = _combo("All triggers", [t.value for t in JobTrigger], "Trigger")
        self.period = QComboBox()
        self.period.addItems(PERIODS)
        self.period.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.period.setMinimumContentsLength(9)
        self.period.setToolTip("Started within")
        self.date_from = QDateEdit(QDate.currentDate().addDays(-7))
        self.date_to = QDateEdit(QDate.currentDate())
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setVisible(False)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Search plan, error, user…")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(140)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._emit)

        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.plan, self.status, self.engine, self.trigger, self.period):
            lay.addWidget(w)
        lay.addWidget(self.date_from)
        lay.addWidget(self.date_to)
        lay.addWidget(self.text, 1)

        for c in (self.plan, self.status, self.engine, self.trigger):
            c.currentIndexChanged.connect(self._emit)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.date_from.dateChanged.connect(self._emit)
        self.date_to.dateChanged.connect(self._emit)
        self.text.textChanged.connect(self._debounce.start)

    def set_choices(self, plans: list[str], engines: list[str]) -> None:
        for combo, items in ((self.plan, plans), (self.engine, engines)):
            current = combo.currentText()
            all_label = combo.itemText(0)
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([all_label, *items])
            i = combo.findText(current)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)

    def show_day(self, plan: str, day: date) -> None:
        """Filter to one plan and one local day (a click on the calendar strip)."""
        widgets = (self.plan, self.period, self.date_from, self.date_to)
        for w in widgets:
            w.blockSignals(True)
        if self.plan.findText(plan) < 0:
            self.plan.addItem(plan)
        self.plan.setCurrentIndex(self.plan.findText(plan))
        self.period.setCurrentIndex(len(PERIODS) - 1)
        self.date_from.setDate(QDate(day.year, day.month, day.day))
        self.date_to.setDate(QDate(day.year, day.month, day.day))
        for w in widgets:
            w.blockSignals(False)
        self._period_changed()

    def clear_day(self) -> None:
        """Back to all plans, any time."""
        for w in (self.plan, self.period):
            w.blockSignals(True)
        self.plan.setCurrentIndex(0)
        self.period.setCurrentIndex(0)
        for w in (self.plan, self.period):
            w.blockSignals(False)
        self._period_changed()

    def _period_changed(self) -> None:
        custom = self.period.currentIndex() == len(PERIODS) - 1
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)
        self._emit()

    def current(self) -> HistoryFilter:
        def one(c: QComboBox) -> tuple[str, ...]:
            return () if c.currentIndex() <= 0 else (c.currentText(),)

        since = until = None
        today = QDate.currentDate()
        p = self.period.currentIndex()
        if p == 1:
            since = _local_midnight(today)
        elif p == 2:
            since = _local_midnight(today.addDays(-6))
        elif p == 3:
            since = _local_midnight(today.addDays(-29))
        elif p == 4:
            since = _local_midnight(self.date_from.date())
            until = _local_midnight(self.date_to.date()) + timedelta(days=1)
        return HistoryFilter(plans=one(self.plan), statuses=one(self.status),
                             engines=one(self.engine), triggers=one(self.trigger),
                             since=since, until=until, text=self.text.text().strip())

    def _emit(self) -> None:
        self.changed.emit(self.current())
