"""The device tiles' model: every known device, filtered by text and sorted in Python."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from core.grid.board import STATES, DeviceView
from core.grid.describe import tooltip

STATE_ROLE = Qt.ItemDataRole.UserRole + 1
PROCESSING_ROLE = Qt.ItemDataRole.UserRole + 2
DEVICE_ROLE = Qt.ItemDataRole.UserRole + 3
KEY_ROLE = Qt.ItemDataRole.UserRole + 4
SORTS = {"state": "By state", "name": "By name", "node": "By node"}
_RANK = {s: i for i, s in enumerate(STATES)}

Index = QModelIndex | QPersistentModelIndex


def _sort_key(mode: str, d: DeviceView) -> tuple[Any, ...]:
    if mode == "name":
        return (d.name.lower(), d.target, d.device_id)
    if mode == "node":
        return (d.target.lower(), d.name.lower(), d.device_id)
    return (_RANK.get(d.state, len(STATES)), not d.processing, d.name.lower(), d.target)


class DeviceModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: dict[str, DeviceView] = {}
        self._rows: list[str] = []
        self._row_of: dict[str, int] = {}
        self._text = ""
        self._sort = "state"

    # -- Qt ---------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        d = self._all[self._rows[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            return d.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(d.device, d.state, time.time(), d.reason) + f"\nNode: {d.target}"
        if role == STATE_ROLE:
            return d.state
        if role == PROCESSING_ROLE:
            return d.processing
        if role == DEVICE_ROLE:
            return d
        if role == KEY_ROLE:
            return d.key
        return None

    # -- ours -------------------------------------------------------------------------------
    def device(self, key: str) -> DeviceView | None:
        return self._all.get(key)

    def row_of(self, key: str) -> int:
        return self._row_of.get(key, -1)

    def any_processing_shown(self) -> bool:
        return any(self._all[k].processing for k in self._rows)

    def processing_rows(self) -> list[int]:
        return [i for i, k in enumerate(self._rows) if self._all[k].processing]

    def set_filter(self, text: str) -> None:
        self._text = text.strip().lower()
        self._relayout(force=True)

    def set_sort(self, mode: str) -> None:
        self._sort = mode if mode in SORTS else "state"
        self._relayout(force=True)

    def apply(self, changed: dict[str, DeviceView], removed: set[str]) -> None:
        for k in removed:
            self._all.pop(k, None)
        self._all.update(changed)
        if not self._relayout(force=bool(removed)):
            rows = [self._row_of[k] for k in changed if k in self._row_of]
            if rows:
                self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def _matches(self, d: DeviceView) -> bool:
        t = self._text
        return (not t or t in d.name.lower() or t in d.device_id.lower()
                or t in d.target.lower() or t in d.state)

    def _relayout(self, force: bool) -> bool:
        """Recompute the visible rows; reset the model if they changed. True if it did."""
        mode = self._sort
        rows = sorted((k for k, d in self._all.items() if self._matches(d)),
                      key=lambda k: _sort_key(mode, self._all[k]))
        if rows == self._rows and not force:
            return False
        if rows == self._rows:
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return True
        self.beginResetModel()
        self._rows = rows
        self._row_of = {k: i for i, k in enumerate(rows)}
        self.endResetModel()
        return True
