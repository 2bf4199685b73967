"""A Qt model over core.engines.borg.tree.ArchiveTree that grows while the listing streams.

Rows are handed to the view lazily: a folder's children appear when it is expanded (fetchMore),
in batches, and folders already shown pick up children that arrive later (`grow`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from core.engines.borg.tree import ROOT, TYPE_DIR, TYPE_LINK, ArchiveTree
from core.fmt import human_bytes

COL_NAME, COL_SIZE, COL_MODIFIED = range(3)
HEADERS = ("Name", "Size", "Modified")
BATCH = 2000  # rows added per fetch

Index = QModelIndex | QPersistentModelIndex
NO_INDEX = QModelIndex()


class ArchiveTreeModel(QAbstractItemModel):
    def __init__(self, tree: ArchiveTree, parent: Any = None) -> None:
        super().__init__(parent)
        self.tree = tree
        # Rows shown per folder; a folder is here once the view asked for its children.
        self.shown: dict[int, int] = {ROOT: 0}
        style = QApplication.style()
        self._icons = {
            TYPE_DIR: style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
            TYPE_LINK: style.standardIcon(QStyle.StandardPixmap.SP_FileLinkIcon),
        }
        self._file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    # --- structure ------------------------------------------------------------------------
    def node(self, index: Index) -> int:
        return int(index.internalId()) if index.isValid() else ROOT

    def index(self, row: int, column: int, parent: Index = NO_INDEX) -> QModelIndex:
        p = self.node(parent)
        if row < 0 or row >= self.shown.get(p, 0) or not 0 <= column < len(HEADERS):
            return QModelIndex()
        return self.createIndex(row, column, self.tree.child_ids(p)[row])

    def parent(self, index: Index = NO_INDEX) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        p = self.tree.parent[self.node(index)]
        if p <= ROOT:
            return QModelIndex()
        return self.createIndex(self.tree.row[p], 0, p)

    def rowCount(self, parent: Index = NO_INDEX) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return self.shown.get(self.node(parent), 0)

    def columnCount(self, parent: Index = NO_INDEX) -> int:
        return len(HEADERS)

    def hasChildren(self, parent: Index = NO_INDEX) -> bool:
        n = self.node(parent)
        return self.tree.kind[n] == TYPE_DIR and (bool(self.tree.child_ids(n))
                                                  or not self.tree.finished)

    def canFetchMore(self, parent: Index) -> bool:
        n = self.node(parent)
        return self.tree.kind[n] == TYPE_DIR and \
            self.shown.get(n, 0) < len(self.tree.child_ids(n))

    def fetchMore(self, parent: Index) -> None:
        self._show_more(self.node(parent), parent, BATCH)

    def _show_more(self, n: int, parent: Index, limit: int) -> None:
        have = self.shown.get(n, 0)
        total = len(self.tree.child_ids(n))
        upto = min(total, have + limit)
        if upto <= have:
            self.shown.setdefault(n, have)
            return
        self.beginInsertRows(parent, have, upto - 1)
        self.shown[n] = upto
        self.endInsertRows()

    def grow(self) -> None:
        """Show children that arrived since, in folders the view has opened (up to a batch)."""
        for n, have in list(self.shown.items()):
            if have < BATCH and len(self.tree.child_ids(n)) > have:
                parent = QModelIndex() if n == ROOT else self.createIndex(self.tree.row[n], 0, n)
                self._show_more(n, parent, BATCH - have)

    # --- data -----------------------------------------------------------------------------
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        n, col, t = self.node(index), index.column(), self.tree
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return t.names[n]
            if col == COL_SIZE:
                return "" if t.kind[n] == TYPE_DIR else human_bytes(t.size[n])
            if col == COL_MODIFIED:
                m = t.mtime[n]
                return datetime.fromtimestamp(m).strftime("%Y-%m-%d %H:%M") if m else ""
        elif role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            return self._icons.get(t.kind[n], self._file_icon)
        elif role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        elif role == Qt.ItemDataRole.ToolTipRole and col == COL_NAME:
            return t.path(n)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def path(self, index: Index) -> str:
        return self.tree.path(self.node(index))
