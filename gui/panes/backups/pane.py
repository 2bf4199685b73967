"""Backups pane: chains as a tree, filters, verify, restore, copy out, delete, run now."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from core import engines
from core.backups import BackupInfo
from core.engines import Capability
from core.fmt import count
from core.progress import Progress, describe
from gui.context import AppContext
from gui.panes.backups.actions import BackupActions
from gui.panes.backups.controller import BackupsController
from gui.panes.backups.detail import BackupDetail
from gui.panes.backups.filters import BackupFilterBar
from gui.panes.backups.model import (
    COL_CREATED,
    COL_DESTS,
    COL_ID,
    COL_PARENT,
    COL_PLAN,
    COL_SHA,
    COL_SIZE,
    COL_STATUS,
    COL_TYPE,
    BackupTreeModel,
)
from gui.panes.backups.run_bar import RunBar
from gui.run_controller import run_controller
from gui.widgets import Banner, EmptyState

DAMAGED_STATES = ("missing", "corrupt", "size_mismatch")
COLUMN_WIDTHS = {COL_CREATED: 180, COL_ID: 50, COL_PLAN: 110, COL_TYPE: 95, COL_PARENT: 55,
                 COL_SIZE: 80, COL_STATUS: 110, COL_DESTS: 300, COL_SHA: 140}


class BackupsPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = BackupTreeModel(ctx.workers, self)
        self.ops = BackupsController(ctx, self)
        self.runs = run_controller(ctx)
        self.handlers = BackupActions(self)
        self._keep: list[int] = []
        self.filters = BackupFilterBar()
        self.count_label = QLabel()
        self.banner = Banner()
        self.message = Banner()
        self.run_bar = RunBar(ctx)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        for col, width in COLUMN_WIDTHS.items():
            self.tree.setColumnWidth(col, width)
        self.detail = BackupDetail()
        self._build_buttons()
        self._build_layout()
        self.filters.changed.connect(lambda _: self.refresh())
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda e: self.message.set_state("error", str(e)))
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._selection())
        self.ops.progress.connect(self._op_progress)
        self.ops.done.connect(self.handlers.done)
        self.ops.failed.connect(self.handlers.failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.refresh)
        ctx.jobs_changed.connect(self._jobs_changed)
        self.runs.finished.connect(lambda *_: self.refresh())
        ctx.when_ready(self.refresh)
        self._selection()

    def _build_buttons(self) -> None:
        self.run_button = QToolButton()
        self.run_button.setText("Run now")
        self.run_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.run_menu = QMenu(self)
        self.run_button.setMenu(self.run_menu)
        self.verify_button = QPushButton("Verify selected")
        self.verify_all_button = QPushButton("Verify all")
        self.restore_button = QPushButton("Restore…")
        self.copy_button = QPushButton("Copy out…")
        self.browse_button = QPushButton("Browse contents…")
        self.delete_button = QPushButton("Delete…")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two backups of one plan: what was added, "
                                       "changed and deleted between them.")
        self.compare_button.clicked.connect(self.handlers.compare)
        self.verify_button.clicked.connect(self.handlers.verify_selected)
        self.verify_all_button.clicked.connect(self.handlers.verify_all)
        self.restore_button.clicked.connect(self.handlers.restore)
        self.copy_button.clicked.connect(self.handlers.copy_out)
        self.browse_button.clicked.connect(self.handlers.browse)
        self.delete_button.clicked.connect(self.handlers.delete)
        self.check_button = QToolButton()
        self.check_button.setText("Check…")
        self.check_button.setToolTip("borg check of the selected backup's repository "
                                     "(a verify job in the History).")
        self.check_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.check_menu = QMenu(self)
        self.check_repo = self.check_menu.addAction(
            "Check repository", partial(self.handlers.check, False))
        self.check_data = self.check_menu.addAction(
            "Check repository and archive data (--verify-data, slow)",
            partial(self.handlers.check, True))
        self.check_button.setMenu(self.check_menu)
        self.break_lock_button = QPushButton("Break lock…")
        self.break_lock_button.setToolTip("Remove a stale lock of the selected backup's borg "
                                          "repository, after your confirmation.")
        self.break_lock_button.clicked.connect(self.handlers.break_lock)
        self.op_label = QLabel()
        self.op_bar = QProgressBar()
        self.op_bar.setMaximumWidth(240)
        self.op_cancel = QPushButton("Cancel")
        self.op_cancel.clicked.connect(self.ops.cancel)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        for w in (self.run_button, self.verify_button, self.verify_all_button,
                  self.restore_button, self.copy_button, self.browse_button,
                  self.delete_button, self.compare_button, self.check_button,
                  self.break_lock_button):
            top.addWidget(w)
        top.addStretch(1)
        bar = QHBoxLayout()
        bar.addWidget(self.filters, 1)
        bar.addWidget(self.count_label)
        self.op_row = QWidget()
        op = QHBoxLayout(self.op_row)
        op.setContentsMargins(0, 0, 0, 0)
        op.addWidget(self.op_label, 1)
        op.addWidget(self.op_bar)
        op.addWidget(self.op_cancel)
        self.op_row.setVisible(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 160])
        self.stack = QStackedWidget()
        self.empty = EmptyState(
            "No backups yet",
            "Create a plan in Settings, then use Run now (here or there). Every backup is "
            "listed here with its chain, its copies at each destination, and their state.")
        self.stack.addWidget(split)
        self.stack.addWidget(self.empty)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(bar)
        lay.addWidget(self.banner)
        lay.addWidget(self.message)
        lay.addWidget(self.run_bar)
        lay.addWidget(self.op_row)
        lay.addWidget(self.stack, 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.ctx.catalogue is not None:
            self._debounce.start()

    def _jobs_changed(self) -> None:
        if self.isVisible():  # a hidden pane reloads when shown
            self._debounce.start()

    def refresh(self) -> None:
        if self.ctx.catalogue is not None:
            self._keep = [b.id for b in self.selected()]
            self.model.reload(self.ctx.catalogue, self.filters.value())

    def _loaded(self) -> None:
        opts = self.model.options
        self.filters.set_options(opts.get("plans", []), opts.get("destinations", []))
        self._set_run_menu(opts.get("runnable", []))
        items = self.model.items
        filtered = self.filters.value() != type(self.filters.value())()
        self.stack.setCurrentIndex(1 if not items and not filtered else 0)
        self.count_label.setText(count(len(items), "backup"))
        self.tree.expandAll()
        self._damage_banner(items)
        self._reselect()
        self._selection()

    def _reselect(self) -> None:
        """Keep the selection across a reload; else select the first backup."""
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)
        found = [i for i in (self.model.index_of(b) for b in self._keep) if i.isValid()]
        for i, idx in enumerate(found):
            if i == 0:
                self.tree.setCurrentIndex(idx)
            else:
                self.tree.selectionModel().select(idx, flags)
        if not found and self.model.rowCount():
            self.tree.setCurrentIndex(self.model.index(0, 0))

    def _set_run_menu(self, plans: list[str]) -> None:
        self.run_menu.clear()
        for name in plans:
            self.run_menu.addAction(name, partial(self.runs.start, name))
        self.run_button.setEnabled(bool(plans))

    def _damage_banner(self, items: list[BackupInfo]) -> None:
        bad = [(b, loc) for b in items for loc in b.locations if loc.state in DAMAGED_STATES]
        if not bad:
            self.banner.set_state("none", "")
            return
        first = ", ".join(f"backup {b.id} at {loc.destination}: {loc.state}"
                          for b, loc in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        self.banner.set_state("error", f"{count(len(bad), 'copy')} missing or corrupt: "
                                       f"{first}{more}.")

    def selected(self) -> list[BackupInfo]:
        rows = self.tree.selectionModel().selectedRows(0)
        return [b for b in (self.model.info(i) for i in rows) if b is not None]

    def current(self) -> BackupInfo | None:
        sel = self.selected()
        return sel[0] if len(sel) == 1 else None

    def select(self, backup_id: int) -> None:
        idx = self.model.index_of(backup_id)
        self.tree.selectionModel().clearSelection()
        self.tree.setCurrentIndex(idx)

    def _selection(self) -> None:
        sel = self.selected()
        one = self.current()
        busy = self.ops.busy
        self.detail.show_backup(one)
        self.verify_button.setEnabled(bool(sel) and not busy)
        self.verify_all_button.setEnabled(bool(self.model.items) and not busy)
        for b in (self.restore_button, self.delete_button):
            b.setEnabled(one is not None and not busy)
        self.copy_button.setEnabled(one is not None and not busy
                                    and engines.can(one.engine, Capability.COPY_OUT))
        self.browse_button.setEnabled(one is not None
                                      and engines.can(one.engine, Capability.BROWSE))
        self.compare_button.setEnabled(len(sel) == 2 and sel[0].plan_id is not None
                                       and sel[0].plan_id == sel[1].plan_id)
        borg = self.handlers.borg_plan() is not None and not busy
        self.check_button.setEnabled(borg)
        self.break_lock_button.setEnabled(borg)

    def set_busy(self, text: str, cancellable: bool = True) -> None:
        self.op_row.setVisible(bool(text))
        self.op_label.setText(text)
        self.op_bar.setRange(0, 0)
        self.op_cancel.setVisible(cancellable)
        self._selection()

    def _op_progress(self, kind: str, p: Progress) -> None:
        frac = p.fraction
        permille = None if frac is None else int(frac * 1000)  # rounded down, as the bar does
        self.op_label.setText(describe(p) + (f" · {permille // 10}%" if permille is not None
                                             else ""))
        if permille is not None:
            self.op_bar.setRange(0, 1000)
            self.op_bar.setValue(permille)

    def exec_dialog(self, dialog: Any) -> bool:
        return bool(dialog.exec())
