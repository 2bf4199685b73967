"""Files pane: find a file across every backup, see its versions as a timeline, restore one.

The search runs in a worker (core.findex.browse.search) and hands hits over in batches; a new
keystroke cancels the search under way and drops its late batches (generation number)."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.catalogue.db import Catalogue
from core.findex.browse import Restored, restore_version, search
from core.findex.find import Hit
from core.findex.versions import Version, show_path
from core.fmt import count
from core.plans import list_plans
from core.progress import CancelToken
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.guard import guarded
from gui.panes.files.dialog import VersionRestoreDialog
from gui.panes.files.model import VERSION_COLUMNS, HitsModel, version_cells
from gui.widgets import Banner
from gui.workers import Task

ALL_PLANS = "All plans"
HIT_WIDTHS = {1: 140, 2: 80, 3: 100, 4: 150}


def run_search(cat: Catalogue, plan: str | None, pattern: str, progress: Any = None,
               cancel: CancelToken | None = None) -> int:
    """Worker side: each batch of hits goes out through `progress` (a queued signal)."""
    n = 0
    for batch in search(cat, plan, pattern, cancel=cancel):
        n += len(batch)
        if progress is not None:
            progress(batch)
    return n


def plan_names(cat: Catalogue) -> list[str]:
    return [p.name for p in list_plans(cat)]


class FilesPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.gen = 0
        self.task: Task | None = None
        self.restoring = False
        self._keep: tuple[str, bytes] | None = None  # (plan, path) to select again after a re-run
        self._rerun = 0  # the generation of a search run again by a job's end
        self._stale = False  # a job ended while the pane was hidden
        self.search_edit = QLineEdit(
            placeholderText="Search files in every backup: part of a name, *.pdf, docs/*/notes.md")
        self.search_edit.setClearButtonEnabled(True)
        self.plan = QComboBox()
        self.plan.addItem(ALL_PLANS)
        self.count_label = QLabel()
        self.message = Banner()
        self.model = HitsModel(self)
        self.hits = QTableView()
        self.hits.setModel(self.model)
        self.hits.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.hits.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.hits.setAlternatingRowColors(True)
        self.hits.verticalHeader().setVisible(False)
        self.hits.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        head = self.hits.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in HIT_WIDTHS.items():
            self.hits.setColumnWidth(col, width)
        self.versions_label = QLabel("Select a file to see its versions.")
        self.versions = QTableWidget(0, len(VERSION_COLUMNS))
        self.versions.setHorizontalHeaderLabels(VERSION_COLUMNS)
        self.versions.verticalHeader().setVisible(False)
        self.versions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.versions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions.horizontalHeader().setSectionResizeMode(
            6, QHeaderView.ResizeMode.Stretch)
        self._layout()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.start_search)
        self.search_edit.textChanged.connect(lambda _t: self._debounce.start())
        self.search_edit.returnPressed.connect(self.start_search)
        self.plan.currentIndexChanged.connect(lambda _i: self._debounce.start())
        self.hits.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._show_versions(cur))
        ctx.jobs_changed.connect(self._jobs_changed)
        ctx.when_ready(self._load_plans)

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.plan)
        bar.addWidget(self.count_label)
        below = QWidget()
        bl = QVBoxLayout(below)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.versions_label)
        bl.addWidget(self.versions, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.hits)
        split.addWidget(below)
        split.setSizes([420, 240])
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.ctx.catalogue is not None:
            self._load_plans()
        if self._stale:
            self._jobs_changed()

    def _jobs_changed(self) -> None:
        """A job started or ended (a backup indexed, one pruned): the search shown is run
        again, its selected file selected again; a hidden pane does it when shown."""
        self._stale = not self.isVisible()
        if self._stale or not self.search_edit.text().strip() or self._debounce.isActive():
            return
        hit = self.current_hit()
        self.start_search()
        self._keep = (hit.plan, hit.path) if hit is not None else None
        self._rerun = self.gen

    def _load_plans(self) -> None:
        if self.ctx.catalogue is not None:
            self.ctx.workers.submit(plan_names, self.ctx.catalogue,
                                    on_result=guarded(self, self._set_plans),
                                    on_error=lambda _e: None)

    def _set_plans(self, names: list[str]) -> None:
        current = self.plan.currentText()
        if [self.plan.itemText(i) for i in range(1, self.plan.count())] == names:
            return
        self.plan.blockSignals(True)
        self.plan.clear()
        self.plan.addItems([ALL_PLANS, *names])
        self.plan.setCurrentText(current if current in names else ALL_PLANS)
        self.plan.blockSignals(False)

    def refresh(self) -> None:
        self.start_search()

    # -- search ---------------------------------------------------------------------------------
    def start_search(self) -> None:
        self._debounce.stop()
        if self.task is not None:
            self.task.cancel_token.cancel()
            self.task = None
        self.gen += 1
        self._keep = None
        self.model.clear()
        self._show_versions(QModelIndex())
        pattern = self.search_edit.text().strip()
        if not pattern or self.ctx.catalogue is None:
            self.count_label.setText("")
            self.message.set_state("none", "")
            return
        gen = self.gen
        plan = None if self.plan.currentIndex() <= 0 else self.plan.currentText()
        self.count_label.setText("Searching…")
        self.task = self.ctx.workers.submit(
            run_search, self.ctx.catalogue, plan, pattern, with_cancel=True,
            on_progress=guarded(self, lambda batch: self._batch(gen, batch)),
            on_result=guarded(self, lambda n: self._done(gen, n, None)),
            on_error=guarded(self, lambda e: self._done(gen, 0, e)))

    def _batch(self, gen: int, batch: Any) -> None:
        if gen != self.gen:
            return
        start = self.model.rowCount()
        self.model.append(batch)
        self.count_label.setText(f"{count(self.model.rowCount(), 'file')} so far…")
        if self._keep is not None:
            row = next((start + i for i, h in enumerate(batch)
                        if (h.plan, h.path) == self._keep), None)
            if row is not None:
                self._keep = None
                self.hits.selectRow(row)
        elif start == 0:
            self.hits.selectRow(0)

    def _done(self, gen: int, n: int, error: BaseException | None) -> None:
        if gen != self.gen:
            return
        self.task = None
        if self._keep is not None:  # the file selected before is gone: the first one
            self._keep = None
            if self.model.rowCount():
                self.hits.selectRow(0)
        if error is not None:
            self.count_label.setText("")
            self.message.set_state("error", error_text(error))
            return
        self.count_label.setText(count(n, "file"))
        if n and gen == self._rerun:
            return  # a re-run leaves the banner as it was (a restore's outcome)
        self.message.set_state(
            "none" if n else "info",
            "" if n else f"No file in any indexed backup matches {self.search_edit.text()!r} "
                         "(`backupdesk reindex` builds the index of older backups).")

    # -- versions and restore -------------------------------------------------------------------
    def current_hit(self) -> Hit | None:
        idx = self.hits.currentIndex()
        return self.model.hits[idx.row()] if idx.isValid() else None

    def _show_versions(self, idx: QModelIndex) -> None:
        self.versions.setRowCount(0)
        if not idx.isValid() or idx.row() >= len(self.model.hits):
            self.versions_label.setText("Select a file to see its versions.")
            return
        hit = self.model.hits[idx.row()]
        self.versions_label.setText(
            f"<b>{show_path(hit.path)}</b> ({hit.plan}): {count(len(hit.versions), 'version')},"
            " oldest first")
        self.versions.setRowCount(len(hit.versions))
        for row, v in enumerate(hit.versions):
            for col, text in enumerate(version_cells(v)):
                self.versions.setItem(row, col, QTableWidgetItem(text))
            b = QPushButton("Restore…")
            b.setToolTip(f"Restore version {v.number} into a folder you choose")
            b.setEnabled(not self.restoring)
            b.clicked.connect(partial(self.restore, hit, v))
            self.versions.setCellWidget(row, len(VERSION_COLUMNS) - 1, b)
        self.versions.resizeColumnsToContents()

    def restore_buttons(self) -> list[QPushButton]:
        col = len(VERSION_COLUMNS) - 1
        return [w for w in (self.versions.cellWidget(r, col)
                            for r in range(self.versions.rowCount()))
                if isinstance(w, QPushButton)]

    def restore(self, hit: Hit, v: Version) -> None:
        if self.ctx.catalogue is None or self.restoring:
            return
        dlg = VersionRestoreDialog(hit, v, self.ctx.workers, self)
        if not dlg.exec() or dlg.target is None:
            return
        self._set_restoring(True)
        self.message.set_state("info", f"Restoring version {v.number} of "
                                       f"{show_path(hit.path)}…")
        self.ctx.workers.submit(
            restore_version, self.ctx.catalogue, hit.plan, hit.path, v.number, dlg.target,
            overwrite=dlg.overwrite, with_cancel=True,
            on_result=guarded(self, self._restored),
            on_error=guarded(self, self._restore_failed))

    def _set_restoring(self, on: bool) -> None:
        self.restoring = on
        for b in self.restore_buttons():
            b.setEnabled(not on)

    def _restored(self, r: Restored) -> None:
        self._set_restoring(False)
        self.ctx.jobs_changed.emit()
        ok = r.result.files > 0 and not r.result.problems
        self.message.set_state("ok" if ok else "warning", r.sentence())

    def _restore_failed(self, e: BaseException) -> None:
        self._set_restoring(False)
        self.ctx.jobs_changed.emit()
        self.message.set_state("error", error_text(e))
