"""The archive part of the plan editor: what to back up, compression, destinations, full
backups, verify, keep rules."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from gui.context import AppContext
from gui.panes.settings.keep_rules import KeepRulesBox
from gui.panes.settings.plan_form import COMPRESSIONS, LEVELS, compression_text, parse_compression
from gui.panes.settings.rows import DatabaseList, DestinationList

INCLUDES = {"both": "Files and databases", "files": "Files only", "databases": "Databases only"}


class ArchiveBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Archive engine", parent)
        self.include = QComboBox()
        for value, text in INCLUDES.items():
            self.include.addItem(text, value)
        self.databases = DatabaseList(ctx)
        self.compression = QComboBox()
        self.compression.addItems(list(COMPRESSIONS))
        self.level = QSpinBox()
        self.compression.currentTextChanged.connect(self._levels)
        comp = QHBoxLayout()
        comp.addWidget(self.compression)
        comp.addWidget(QLabel("level"))
        comp.addWidget(self.level)
        comp.addStretch(1)
        self.destinations = DestinationList(ctx)
        self.full_every = QSpinBox()
        self.full_every.setRange(1, 1000)
        self.full_every.setSuffix(" runs")
        self.full_every.setMaximumWidth(120)
        self.verify_after = QCheckBox("Verify every copy after each backup")
        self.keep = KeepRulesBox()
        form = QFormLayout(self)
        form.addRow("Back up", self.include)
        form.addRow("Databases", self.databases)
        form.addRow("Compression", comp)
        form.addRow("Destinations", self.destinations)
        hint = QLabel("Saving sets each new folder up (creates it, with a marker file). A "
                      "destination missing later, such as an unplugged disk, is skipped, "
                      "never re-created.")
        hint.setWordWrap(True)
        form.addRow("", hint)
        form.addRow("Full backup every", self.full_every)
        form.addRow("", self.verify_after)
        form.addRow("Keep", self.keep)
        self.load({})

    def _levels(self, algo: str) -> None:
        lo, hi, default = LEVELS.get(algo, (0, 0, 0))
        self.level.setRange(lo, hi)
        self.level.setValue(default)
        self.level.setEnabled(algo in LEVELS)

    def load(self, plan: dict[str, Any]) -> None:
        opts = plan.get("options", {})
        self.include.setCurrentIndex(max(0, self.include.findData(opts.get("include", "both"))))
        self.databases.set_values([str(u) for u in opts.get("databases") or []])
        algo, level = parse_compression(str(opts.get("compression", "zstd:3")))
        self.compression.setCurrentText(algo)
        self._levels(algo)
        if level is not None:
            self.level.setValue(level)
        self.destinations.set_values([d["location"] for d in plan.get("destinations", [])])
        self.full_every.setValue(int(opts.get("full_every", 7)))
        self.verify_after.setChecked(bool(opts.get("verify_after", True)))
        self.keep.set_values(opts.get("keep"))

    def options(self) -> dict[str, Any]:
        algo = self.compression.currentText()
        opts: dict[str, Any] = {
            "include": self.include.currentData(),
            "compression": compression_text(algo, self.level.value() if algo in LEVELS else None),
            "full_every": self.full_every.value(),
            "verify_after": self.verify_after.isChecked(),
        }
        dbs = self.databases.values()
        if dbs:
            opts["databases"] = dbs
        keep = self.keep.values()
        if keep:
            opts["keep"] = keep
        return opts
