"""Compare two backups of a plan (core.findex.diff): added, changed (size and modified time
before and after), deleted, with totals and sizes per top-level folder. The rows are a model
over the diff's own lists, so a million-row diff costs no widget per row."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.backups import BackupInfo
from core.catalogue.db import Catalogue
from core.config import AppPaths
from core.findex.diff import Diff, diff
from core.findex.indexing import files_of_backup
from core.findex.versions import show_path
from core.fmt import human_bytes, signed_bytes
from gui.errors import error_text
from gui.panes.backups.guard import guarded
from gui.panes.files.model import TableModel, modified
from gui.workers import Workers

DIFF_COLUMNS = ["", "Path", "Size before", "Size after", "Modified before", "Modified after"]
FOLDER_COLUMNS = ["Folder", "Added", "Changed", "Deleted", "Bytes"]


def compare(cat: Catalogue, a: BackupInfo, b: BackupInfo, paths: AppPaths) -> Diff:
    """The older of the two first (core's diff is from A to B)."""
    old, new = sorted((a, b), key=lambda x: (x.created_at, x.id))
    return diff(cat, old, new, files_of_backup(cat, paths))


class DiffModel(TableModel):
    """Rows: every added, then changed, then deleted path, read from the Diff when drawn."""

    columns = DIFF_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.d: Diff | None = None

    def set_diff(self, d: Diff | None) -> None:
        self.beginResetModel()
        self.d = d
        self.endResetModel()

    def rows(self) -> int:
        d = self.d
        return 0 if d is None else len(d.added) + len(d.changed) + len(d.deleted)

    def row(self, i: int) -> list[str]:
        d = self.d
        assert d is not None
        if i < len(d.added):
            r = d.added[i]
            return ["added", show_path(r.path), "", human_bytes(r.size or 0), "",
                    modified(r.mtime_ns)]
        i -= len(d.added)
        if i < len(d.changed):
            o, n = d.changed[i]
            return ["changed", show_path(n.path), human_bytes(o.size or 0),
                    human_bytes(n.size or 0), modified(o.mtime_ns), modified(n.mtime_ns)]
        r = d.deleted[i - len(d.changed)]
        return ["deleted", show_path(r.path), human_bytes(r.size or 0), "",
                modified(r.mtime_ns), ""]

    def cell(self, row: int, column: int) -> str:
        return self.row(row)[column]


class FolderModel(TableModel):
    columns = FOLDER_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.folder_rows: list[list[str]] = []

    def set_folders(self, folders: dict[str, dict[str, int]]) -> None:
        self.beginResetModel()
        self.folder_rows = [[name or "(top)", f"{f['added']:,}", f"{f['changed']:,}",
                      f"{f['deleted']:,}", signed_bytes(f["bytes"])] for name, f in folders.items()]
        self.endResetModel()

    def rows(self) -> int:
        return len(self.folder_rows)

    def cell(self, row: int, column: int) -> str:
        return self.folder_rows[row][column]


def totals_text(d: Diff) -> str:
    return (f"From backup <b>{d.a.id}</b> ({html.escape(d.a.name)}) to <b>{d.b.id}</b> "
            f"({html.escape(d.b.name)}): {html.escape(d.totals_sentence())}")


def table(model: QAbstractTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


class CompareDialog(QDialog):
    """Opens at once; the diff is worked out in a worker and shown when it comes."""

    def __init__(self, cat: Catalogue, paths: AppPaths, a: BackupInfo, b: BackupInfo,
                 workers: Workers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare backups {min(a.id, b.id)} and {max(a.id, b.id)}")
        self.summary = QLabel("Comparing…")
        self.summary.setWordWrap(True)
        self.model = DiffModel(self)
        self.folders = FolderModel(self)
        self.rows = table(self.model)
        for col, width in enumerate((70, 400, 95, 95, 140, 140)):
            self.rows.setColumnWidth(col, width)
        self.folder_view = table(self.folders)
        self.folder_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.rows)
        split.addWidget(self.folder_view)
        split.setSizes([380, 160])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addWidget(close)
        self.resize(980, 620)
        self.diff: Diff | None = None
        workers.submit(compare, cat, a, b, paths, on_result=guarded(self, self._shown),
                       on_error=guarded(self, self._failed))

    def _shown(self, d: Diff) -> None:
        self.diff = d
        self.summary.setText(totals_text(d))
        self.model.set_diff(d)
        self.folders.set_folders(d.by_folder())

    def _failed(self, e: BaseException) -> None:
        self.summary.setText(f"<span style='color:#b3261e'>Cannot compare: "
                             f"{html.escape(error_text(e))}</span>")
