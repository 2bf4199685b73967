"""The Backups tree: each full with its incrementals below it; loaded off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from core.backups import BackupFilter, BackupInfo
from core.fmt import human_bytes, local_time
from gui.icons import state_icon
from gui.panes.backups.controller import load_backups
from gui.panes.backups.filters import type_label
from gui.panes.backups.guard import guarded
from gui.workers import Workers

COL_CREATED, COL_ID, COL_PLAN, COL_TYPE, COL_PARENT, COL_SIZE, COL_STATUS, COL_DESTS, \
    COL_SHA = range(9)
HEADERS = ["Created", "ID", "Plan", "Type", "Parent", "Size", "Status", "Destinations",
           "SHA-256"]
STATUS_ICONS = {"ok": "ok", "unverified": "none", "damaged": "error", "incomplete": "warning",
                "deleted": "none"}
LOCATION_MARKS = {"ok": "✓", "unverified": "·", "missing": "✗ missing", "corrupt": "✗ corrupt",
                  "size_mismatch": "✗ size", "failed": "✗ failed", "deleted": "deleted"}
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(eq=False)
class Node:
    info: BackupInfo | None
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    row: int = 0


def build(tree: list[tuple[int, BackupInfo]]) -> Node:
    """Nodes from core.backups.as_tree output (depth-first, depth 0 = roots)."""
    root = Node(None)
    stack: list[Node] = [root]
    for depth, info in tree:
        del stack[depth + 1:]
        parent = stack[-1]
        node = Node(info, parent, row=len(parent.children))
        parent.children.append(node)
        stack.append(node)
    return root


def destinations_text(b: BackupInfo) -> str:
    return "  ".join(f"{loc.destination} {LOCATION_MARKS.get(loc.state, loc.state)}"
                     for loc in b.locations)


class BackupTreeModel(QAbstractItemModel):
    loaded = Signal()
    failed = Signal(object)

    def __init__(self, workers: Workers, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workers = workers
        self.root = Node(None)
        self.items: list[BackupInfo] = []
        self.options: dict[str, list[str]] = {"plans": [], "destinations": []}
        self._generation = 0
        self._by_id: dict[int, Node] = {}

    def reload(self, cat: Any, flt: BackupFilter) -> None:
        self._generation += 1
        gen = self._generation
        self.workers.submit(load_backups, cat, flt,
                            on_result=guarded(self, lambda r: self._apply(gen, r)),
                            on_error=guarded(self, lambda e: self._error(gen, e)))

    def _error(self, gen: int, e: BaseException) -> None:
        if gen == self._generation:
            self.failed.emit(e)

    def _apply(self, gen: int, result: Any) -> None:
        if gen != self._generation:
            return
        tree, self.options = result
        self.beginResetModel()
        self.root = build(tree)
        self.items = [b for _, b in tree]
        self._by_id = {}
        stack = list(self.root.children)
        while stack:
            n = stack.pop()
            assert n.info is not None
            self._by_id[n.info.id] = n
            stack.extend(n.children)
        self.endResetModel()
        self.loaded.emit()

    def node(self, index: AnyIndex) -> Node:
        if index.isValid():
            ptr = index.internalPointer()
            assert isinstance(ptr, Node)
            return ptr
        return self.root

    def info(self, index: AnyIndex) -> BackupInfo | None:
        return self.node(index).info

    def index_of(self, backup_id: int) -> QModelIndex:
        node = self._by_id.get(backup_id)
        return QModelIndex() if node is None else self.createIndex(node.row, 0, node)

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        p = self.node(parent)
        if 0 <= row < len(p.children) and 0 <= column < len(HEADERS):
            return self.createIndex(row, column, p.children[row])
        return QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        p = self.node(index).parent
        if p is None or p is self.root:
            return QModelIndex()
        return self.createIndex(p.row, 0, p)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        b = self.node(index).info
        if b is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(b, col)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS:
            return state_icon(STATUS_ICONS.get(b.status, "none"), 16)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_DESTS:
                return "\n".join(f"{loc.destination}: {loc.state}\n  {loc.path}"
                                 for loc in b.locations)
            if col == COL_SHA:
                return b.sha256 or ""
        if role == Qt.ItemDataRole.UserRole:
            return b.id
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_ID, COL_SIZE, COL_PARENT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(b: BackupInfo, col: int) -> str:
        if col == COL_CREATED:
            return local_time(b.created_at, "%Y-%m-%d %H:%M:%S")
        if col == COL_ID:
            return str(b.id)
        if col == COL_PLAN:
            return b.plan
        if col == COL_TYPE:
            return type_label(b.type)
        if col == COL_PARENT:
            return str(b.parent_id) if b.parent_id is not None else ""
        if col == COL_SIZE:
            return human_bytes(b.size)
        if col == COL_STATUS:
            return b.status
        if col == COL_DESTS:
            return destinations_text(b)
        if col == COL_SHA:
            return (b.sha256 or "")[:16]
        return ""
