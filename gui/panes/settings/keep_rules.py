"""Keep rules (retention) of a plan: last/hourly/daily/weekly/monthly/yearly, 0 = not used.

Saved in options["keep"] with borg's names, only the rules in use, as `plan add --keep-daily 7`
saves them; the archive and the borg part of the editor share this box."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from core.engines.schema import KEEP_UNITS


class KeepRulesBox(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spins: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for i, unit in enumerate(KEEP_UNITS):
            spin = QSpinBox()
            spin.setRange(0, 9999)
            spin.setSpecialValueText("—")
            spin.setObjectName(f"keep-{unit}")
            self.spins[unit] = spin
            grid.addWidget(QLabel(unit), i // 3, (i % 3) * 2)
            grid.addWidget(spin, i // 3, (i % 3) * 2 + 1)
        self.hint = QLabel("— = rule not used; no rule at all keeps every backup.")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(grid)
        lay.addWidget(self.hint)

    def __getitem__(self, unit: str) -> QSpinBox:
        return self.spins[unit]

    def set_values(self, keep: dict[str, Any] | None) -> None:
        keep = keep or {}
        for unit, spin in self.spins.items():
            spin.setValue(int(keep.get(unit, 0) or 0))

    def values(self) -> dict[str, int]:
        """The rules in use ({} when none): the value of options["keep"]."""
        return {u: s.value() for u, s in self.spins.items() if s.value() > 0}
