"""The list of plans with New, Delete and Run now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QPushButton, QVBoxLayout, QWidget

from gui.context import AppContext
from gui.panes.backups.guard import guarded
from gui.panes.settings.plan_form import load_plans


class PlanList(QWidget):
    selected = Signal(object)  # plan_json dict, or None for a new plan
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.plans: list[dict[str, Any]] = []
        self._first_load = True
        self._generation = 0
        self.list = QListWidget()
        self.new_button = QPushButton("New")
        self.delete_button = QPushButton("Delete…")
        self.run_button = QPushButton("Run now")
        buttons = QHBoxLayout()
        for b in (self.new_button, self.delete_button, self.run_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(buttons)
        self.list.currentRowChanged.connect(self._current)
        self.new_button.clicked.connect(self.new)
        self._current(-1)

    def reload(self, select: str | None = None) -> None:
        if self.ctx.catalogue is None:
            return
        keep = select or self.current_name()
        self._generation += 1
        gen = self._generation
        self.ctx.workers.submit(
            load_plans, self.ctx.catalogue,
            on_result=guarded(self, lambda plans: self._loaded(gen, plans, keep)))

    def _loaded(self, gen: int, plans: list[dict[str, Any]], select: str | None) -> None:
        if gen != self._generation:
            return  # a newer reload is on its way
        self.plans = plans
        self.list.blockSignals(True)
        self.list.clear()
        for p in plans:
            off = "" if p["enabled"] else " (off)"
            self.list.addItem(f"{p['name']} · {p['engine']}{off}")
        names = [p["name"] for p in plans]
        row = names.index(select) if select in names else -1
        first = row < 0 and self._first_load and bool(plans)
        self._first_load = False
        self.list.setCurrentRow(0 if first else row)
        self.list.blockSignals(False)
        if first:
            self.selected.emit(self.current())
        self._buttons()
        self.loaded.emit()

    def current(self) -> dict[str, Any] | None:
        row = self.list.currentRow()
        return self.plans[row] if 0 <= row < len(self.plans) else None

    def current_name(self) -> str | None:
        p = self.current()
        return p["name"] if p else None

    def select(self, name: str) -> None:
        names = [p["name"] for p in self.plans]
        if name in names:
            self.list.setCurrentRow(names.index(name))

    def new(self) -> None:
        self.list.setCurrentRow(-1)
        self.selected.emit(None)

    def _current(self, _: int) -> None:
        self._buttons()
        self.selected.emit(self.current())

    def _buttons(self) -> None:
        have = self.current() is not None
        self.delete_button.setEnabled(have)
        self.run_button.setEnabled(have)
