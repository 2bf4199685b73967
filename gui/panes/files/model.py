"""The Files pane's models: search hits as they come (a table model), and one file's versions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from core.findex.find import Hit
from core.findex.versions import Version, mtime_iso, show_path, stored_at
from core.fmt import human_bytes, local_time

HIT_COLUMNS = ["Path", "Plan", "Versions", "Newest size", "Last backed up"]
VERSION_COLUMNS = ["Version", "Size", "Modified", "First backup", "Last backup", "Backups",
                   "Stored at", ""]
Index = QModelIndex | QPersistentModelIndex


def modified(ns: int | None) -> str:
    return (mtime_iso(ns) or "?")[:19].replace("T", " ")


def version_cells(v: Version) -> list[str]:
    """One version as the timeline shows it (the last column holds its Restore button)."""
    return [str(v.number), human_bytes(v.size or 0), modified(v.mtime_ns),
            f"#{v.first.id}  {local_time(v.first.created_at)}",
            f"#{v.last.id}  {local_time(v.last.created_at)}", str(v.backups),
            ", ".join(stored_at(v.last)) or "—", ""]


class TableModel(QAbstractTableModel):
    """A flat table with fixed column titles; subclasses say how many rows and what a cell
    shows (`cell`), read when drawn."""

    columns: list[str] = []

    def rows(self) -> int:
        raise NotImplementedError

    def cell(self, row: int, column: int) -> str:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.rows()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        return self.cell(index.row(), index.column())


class HitsModel(TableModel):
    """Rows are appended batch by batch while a search runs; never rebuilt per hit."""

    columns = HIT_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hits: list[Hit] = []

    def clear(self) -> None:
        self.beginResetModel()
        self.hits = []
        self.endResetModel()

    def append(self, hits: list[Hit]) -> None:
        if not hits:
            return
        n = len(self.hits)
        self.beginInsertRows(QModelIndex(), n, n + len(hits) - 1)
        self.hits.extend(hits)
        self.endInsertRows()

    def rows(self) -> int:
        return len(self.hits)

    def cell(self, row: int, col: int) -> str:
        h = self.hits[row]
        newest = h.versions[-1]
        if col == 0:
            return show_path(h.path)
        if col == 1:
            return h.plan
        if col == 2:
            return str(len(h.versions))
        if col == 3:
            return human_bytes(newest.size or 0)
        return local_time(newest.last.created_at)
