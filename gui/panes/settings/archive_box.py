"""The plan editor's part for engines that write backup files to destinations (the archive
engine): what to back up, compression, destinations, full backups, verify, keep rules; labels
and choices from the engine's option schema."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QWidget,
)

from core.engines.schema import Choice, CompressionOption, Number, Schema, Switch
from gui.context import AppContext
from gui.panes.settings.engine_fields import CompressionField, own_options
from gui.panes.settings.keep_rules import KeepRulesBox
from gui.panes.settings.rows import DatabaseList, DestinationList


class ArchiveBox(QGroupBox):
    def __init__(self, ctx: AppContext, schema: Schema, parent: QWidget | None = None) -> None:
        super().__init__(schema.title, parent)
        self.schema = schema
        include = schema.option("include", Choice)
        self.include = QComboBox()
        for value, text in include.values.items():
            self.include.addItem(text, value)
        self.databases = DatabaseList(ctx)
        self.compression_field = CompressionField(
            schema.option("compression", CompressionOption).g)
        self.compression = self.compression_field.algo
        self.level = self.compression_field.level
        self.destinations = DestinationList(ctx)
        full_every = schema.option("full_every", Number)
        self.full_every = QSpinBox()
        self.full_every.setRange(full_every.minimum, 1000)
        self.full_every.setSuffix(" runs")
        self.full_every.setMaximumWidth(120)
        self.verify_after = QCheckBox(schema.option("verify_after", Switch).label)
        self.keep = KeepRulesBox()
        form = QFormLayout(self)
        form.addRow(include.label, self.include)
        form.addRow(self._label("databases"), self.databases)
        form.addRow(self._label("compression"), self.compression_field)
        form.addRow("Destinations", self.destinations)
        hint = QLabel("Saving sets each new folder up (creates it, with a marker file). A "
                      "destination missing later, such as an unplugged disk, is skipped, "
                      "never re-created.")
        hint.setWordWrap(True)
        form.addRow("", hint)
        form.addRow(full_every.label, self.full_every)
        form.addRow("", self.verify_after)
        form.addRow(self._label("keep"), self.keep)
        self.load({})

    def _label(self, name: str) -> str:
        o = self.schema.get(name)
        return o.label if o is not None else name

    def load(self, plan: dict[str, Any]) -> None:
        opts = {**self.schema.defaults(), **own_options(plan, self.schema)}
        self.include.setCurrentIndex(max(0, self.include.findData(opts.get("include"))))
        self.databases.set_values([str(u) for u in opts.get("databases") or []])
        self.compression_field.set_text(str(opts["compression"]))
        self.destinations.set_values([d["location"] for d in plan.get("destinations", [])])
        self.full_every.setValue(int(opts["full_every"]))
        self.verify_after.setChecked(bool(opts["verify_after"]))
        self.keep.set_values(opts.get("keep"))

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "include": self.include.currentData(),
            "compression": self.compression_field.text(),
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
