"""Browse a borg archive's contents as a file tree while borg lists it; restore a selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from core.backups import get_backup
from core.catalogue.models import JobTrigger
from core.engines.borg.tree import ArchiveTree
from core.fmt import count
from core.jobs.repository import browse
from core.jobs.restore import restore_backup
from core.progress import CancelToken, Progress
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.archive_tree import COL_MODIFIED, COL_NAME, COL_SIZE, ArchiveTreeModel

TICK_MS = 200  # how often the view picks up entries that arrived


def _stream(cat: Any, backup_id: int, tree: ArchiveTree, cancel: Any) -> int:
    browse(cat, backup_id, tree, cancel=cancel)
    return tree.entries


def _restore(cat: Any, backup_id: int, to: Path, paths: list[str], progress: Any,
             cancel: Any) -> Any:
    return restore_backup(cat, backup_id, to=to, paths=paths, trigger=JobTrigger.MANUAL.value,
                          progress=progress, cancel=cancel)


class ArchiveBrowser(QDialog):
    """The contents of the borg backup `backup_id`, listed by a worker as borg streams it."""

    def __init__(self, ctx: AppContext, backup_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.backup_id = ctx, backup_id
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Backup {backup_id}: contents")
        self.resize(820, 560)
        self.tree = ArchiveTree()
        self.model = ArchiveTreeModel(self.tree, self)
        self.title = QLabel(f"Backup {backup_id}")
        self.title.setStyleSheet("font-weight: 600;")
        self.status = QLabel("Listing the archive…")
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QTreeView.SelectionMode.ExtendedSelection)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(COL_SIZE, 90)
        header.resizeSection(COL_MODIFIED, 140)
        self.restore_button = QPushButton("Restore selected…")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(lambda: self.restore_selected())  # not clicked(bool)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)

        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.restore_button)
        row.addWidget(close)
        lay.addLayout(row)
        self._describe()
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self._tick)
        self._seen = 0
        self.listing: CancelToken | None = None
        self.restoring: CancelToken | None = None
        self.finished_listing = False
        self._target: Path | None = None
        self._start()

    def _describe(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return

        try:
            b = get_backup(cat, self.backup_id)
        except Exception:
            return
        repo = b.details.get("repository", "")
        self.title.setText(f"{b.name} — plan {b.plan} — {repo}")
        self.setWindowTitle(f"{b.name}: contents")

    def _start(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            self.status.setText("The catalogue is not open yet.")
            return
        self.listing = self.ctx.workers.submit(
            _stream, cat, self.backup_id, self.tree, on_result=self._listed,
            on_error=self._failed, with_cancel=True).cancel_token
        self.ticker.start()

    def _tick(self) -> None:
        """The GUI looks at the growing tree on its own timer: no signal per report (with
        PySide6 6.12 each Python-side emit leaks a reference to True)."""
        if self.tree.entries != self._seen:
            self._seen = self.tree.entries
            self.model.grow()
            self.status.setText(f"Listing… {self._seen:,} entries so far")

    def _listed(self, entries: int) -> None:
        self.ticker.stop()
        self.finished_listing = True
        self.listing = None
        self.model.grow()
        self._open_single_chain()
        self.status.setText(f"{entries:,} entries.")

    def _open_single_chain(self) -> None:
        """Open folders that are alone in their parent (/home/ann/...), unless the user has
        opened something already."""
        idx = self.view.rootIndex()
        while self.model.rowCount(idx) == 1:
            child = self.model.index(0, 0, idx)
            if not self.model.hasChildren(child):
                break
            if self.view.isExpanded(child):
                return
            self.model.fetchMore(child)
            self.view.expand(child)
            idx = child

    def _failed(self, e: BaseException) -> None:
        self.ticker.stop()
        self.listing = None
        self.status.setText(error_text(e))

    def _selection_changed(self, *_: object) -> None:
        self.restore_button.setEnabled(bool(self.selected_paths()) and self.restoring is None)

    def selected_paths(self) -> list[str]:
        rows = self.view.selectionModel().selectedRows(COL_NAME)
        return sorted({self.model.path(i) for i in rows})

    def restore_selected(self, target: Path | None = None) -> None:
        paths = self.selected_paths()
        cat = self.ctx.catalogue
        if not paths or cat is None:
            return
        if target is None:
            chosen = QFileDialog.getExistingDirectory(self, "Restore into an empty folder")
            if not chosen:
                return
            target = Path(chosen)
        self.restore_button.setEnabled(False)
        self._target = target
        self.status.setText(f"Restoring {count(len(paths), 'item')} into {target}…")
        self.restoring = self.ctx.workers.submit(
            _restore, cat, self.backup_id, target, paths, on_result=self._restored,
            on_error=self._restore_failed, on_progress=self._restore_progress,
            with_cancel=True).cancel_token

    def _restore_progress(self, p: Progress) -> None:
        if p.fraction is not None:
            self.status.setText(f"Restoring… {p.fraction:.0%}")

    def _restored(self, result: Any) -> None:
        self.restoring = None
        self.status.setText(f"Restored {count(result.files, 'file')} into {self._target}. "
                            f"The job is in the History.")
        self.ctx.jobs_changed.emit()
        self._selection_changed()

    def _restore_failed(self, e: BaseException) -> None:
        self.restoring = None
        self.status.setText(f"Restore failed: {error_text(e)}")
        self.ctx.jobs_changed.emit()
        self._selection_changed()

    def done(self, result: int) -> None:
        """Closing stops the listing and a restore in progress (borg gets SIGINT)."""
        for token in (self.listing, self.restoring):
            if token is not None:
                token.cancel()
        super().done(result)
