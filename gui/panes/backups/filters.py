"""The Backups filter bar: plan, type, status and destination, as a core BackupFilter."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from core.backups import STATUSES, BackupFilter

TYPES = ["full", "incremental", "archive"]  # archive: a borg archive
# What the user reads: "archive" is also the name of an engine, so a borg archive is a snapshot.
TYPE_LABELS = {"archive": "borg snapshot"}


def type_label(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind)


def _combo(all_label: str, items: list[str], tip: str) -> QComboBox:
    c = QComboBox()
    c.addItem(all_label)
    for item in items:
        c.addItem(type_label(item) if items is TYPES else item, item)
    c.setToolTip(tip)
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return c


class BackupFilterBar(QWidget):
    changed = Signal(object)  # BackupFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = _combo("All plans", [], "Plan")
        self.type = _combo("All types", TYPES, "Type")
        self.status = _combo("All statuses", list(STATUSES), "Status")
        self.destination = _combo("All destinations", [], "Destination")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for c in (self.plan, self.type, self.status, self.destination):
            lay.addWidget(c)
            c.currentIndexChanged.connect(lambda _=0: self.changed.emit(self.value()))
        lay.addStretch(1)

    @staticmethod
    def _pick(c: QComboBox) -> tuple[str, ...]:
        value = c.currentData() or c.currentText()
        return (str(value),) if c.currentIndex() > 0 else ()

    def value(self) -> BackupFilter:
        return BackupFilter(plans=self._pick(self.plan), types=self._pick(self.type),
                            statuses=self._pick(self.status),
                            destinations=self._pick(self.destination))

    def set_options(self, plans: list[str], destinations: list[str]) -> None:
        for combo, items in ((self.plan, plans), (self.destination, destinations)):
            current = combo.currentText() if combo.currentIndex() > 0 else None
            have = [combo.itemText(i) for i in range(1, combo.count())]
            if have == items:
                continue
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            combo.addItems(items)
            if current in items:
                combo.setCurrentIndex(items.index(current) + 1)
            combo.blockSignals(False)
