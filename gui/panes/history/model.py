"""The History table model: paged SQL behind canFetchMore/fetchMore, queries off the GUI thread."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from core.catalogue import history
from core.catalogue.rows import HistoryFilter, HistoryRow, HistorySort
from core.fmt import human_bytes, human_duration, local_time
from core.timeutil import utcnow
from gui.workers import Workers

if TYPE_CHECKING:
    from core.catalogue.db import Catalogue

COL_PLAN, COL_ENGINE, COL_KIND, COL_TRIGGER, COL_STATUS, COL_STARTED, COL_DURATION, COL_SIZE, \
    COL_BY, COL_HOST, COL_ERROR = range(11)

HEADERS = ["Plan", "Engine", "Kind", "Trigger", "Status", "Started", "Duration", "Size",
           "Requested by", "Host", "Error"]
SORT_KEYS = ["plan", "engine", "kind", "trigger", "status", "started", "duration", "size",
             "requested_by", "host", "error"]
PAGE = 200
RowIndex = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
WARNINGS_ROLE = Qt.ItemDataRole.UserRole + 2  # the job's warning texts (status column)


def _display(r: HistoryRow, col: int) -> str:
    if col == COL_PLAN:
        return r.plan or "—"
    if col == COL_ENGINE:
        return r.engine
    if col == COL_KIND:
        return r.kind
    if col == COL_TRIGGER:
        return r.trigger
    if col == COL_STATUS:
        return r.status
    if col == COL_STARTED:
        return local_time(r.started_at, "%Y-%m-%d %H:%M:%S")
    if col == COL_DURATION:
        if r.status == "running" and r.started_at is not None and r.duration_ms is None:
            return human_duration(int((utcnow() - r.started_at).total_seconds() * 1000)) + " so far"
        return human_duration(r.duration_ms)
    if col == COL_SIZE:
        return human_bytes(r.bytes)
    if col == COL_BY:
        return r.requested_by
    if col == COL_HOST:
        return r.host or "—"
    if col == COL_ERROR:
        return (r.error or "").split("\n", 1)[0]
    return ""


class HistoryModel(QAbstractTableModel):
    # Emitted after the first page of a new filter/sort has arrived.
    loaded = Signal()
    # Emitted when rows came or went outside a reload (jobs arriving live).
    rows_changed = Signal()
    count_changed = Signal(int)
    failed = Signal(object)

    def __init__(self, workers: Workers, parent: Any = None) -> None:
        super().__init__(parent)
        self._workers = workers
        self._catalogue: Catalogue | None = None
        self._rows: list[HistoryRow] = []
        self._filter = HistoryFilter()
        self._sort = HistorySort()
        self._generation = 0
        self._exhausted = True
        self._fetching = False
        self._stale = False  # a refresh was asked for while a fetch was in flight

    # -- configuration -------------------------------------------------------------------
    def set_catalogue(self, cat: Catalogue) -> None:
        self._catalogue = cat
        self.reload()

    @property
    def filter(self) -> HistoryFilter:
        return self._filter

    def set_filter(self, flt: HistoryFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.reload()

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, job_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.id == job_id:
                return i
        return -1

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Drop what is loaded and fetch the first page for the current filter and sort."""
        cat = self._catalogue
        if cat is None:
            return
        self._generation += 1
        gen = self._generation
        self._fetching = True
        flt, sort = self._filter, self._sort
        self._workers.submit(
            history.history_page, cat, flt, sort, offset=0, limit=PAGE,
            on_result=lambda rows: self._first_page(gen, rows), context=self,
            on_error=self._failed,
        )

    def _counted(self, gen: int, n: int) -> None:
        if gen == self._generation:
            self.count_changed.emit(n)

    def _first_page(self, gen: int, rows: list[HistoryRow]) -> None:
        if gen != self._generation:
            return
        self.beginResetModel()
        self._rows = rows
        self._exhausted = len(rows) < PAGE
        self._fetching = False
        self.endResetModel()
        self._recount(gen)  # counted after the page, so that the two do not compete
        self.loaded.emit()
        self._refresh_if_stale()

    def _refresh_if_stale(self) -> None:
        if self._stale:
            self._stale = False
            self.refresh_loaded()

    def _failed(self, e: BaseException) -> None:
        self._fetching = False
        self.failed.emit(e)

    def canFetchMore(self, parent: RowIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._fetching

    def fetchMore(self, parent: RowIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._fetching or self._catalogue is None:
            return
        self._fetching = True
        gen = self._generation
        self._workers.submit(
            history.history_page, self._catalogue, self._filter, self._sort,
            offset=len(self._rows), limit=PAGE,
            on_result=lambda rows: self._more(gen, rows), context=self,
            on_error=self._failed,
        )

    def _more(self, gen: int, rows: list[HistoryRow]) -> None:
        if gen != self._generation:
            return
        self._fetching = False
        self._exhausted = len(rows) < PAGE
        known = {r.id for r in self._rows[-PAGE:]}
        rows = [r for r in rows if r.id not in known]  # rows shifted by new jobs meanwhile
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self._refresh_if_stale()

    def refresh_loaded(self) -> None:
        """Re-read what is on screen (jobs started, progressed or finished elsewhere)."""
        cat = self._catalogue
        if cat is None:
            return
        if self._fetching:
            self._stale = True
            return
        gen = self._generation
        limit = max(PAGE, min(len(self._rows), 2000))
        self._workers.submit(
            history.history_page, cat, self._filter, self._sort, offset=0, limit=limit,
            on_result=lambda rows: self._merge_fresh(gen, rows, limit), context=self,
            on_error=self._failed,
        )

    def _merge_fresh(self, gen: int, rows: list[HistoryRow], limit: int) -> None:
        if gen != self._generation:
            return
        if self._fetching:
            self._stale = True
            return
        old = self._rows[:limit]
        if [r.id for r in rows] == [r.id for r in old]:
            for i, (a, b) in enumerate(zip(old, rows, strict=True)):
                if a != b:
                    self._rows[i] = b
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(HEADERS) - 1))
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[p.row()].id if 0 <= p.row() < len(self._rows) else None
               for p in persistent]
        self._rows = rows + (self._rows[limit:] if len(self._rows) > limit else [])
        self._exhausted = self._exhausted and len(rows) < limit
        pos = {r.id: i for i, r in enumerate(self._rows)}
        new_indexes = []
        for p, jid in zip(persistent, ids, strict=True):
            row = pos.get(jid, -1) if jid is not None else -1
            new_indexes.append(self.index(row, p.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, new_indexes)
        self.layoutChanged.emit()
        self._recount(gen)
        self.rows_changed.emit()

    def _recount(self, gen: int) -> None:
        """The total after jobs came or went: known when everything is loaded, else counted."""
        if self._exhausted:
            self._counted(gen, len(self._rows))
        elif self._catalogue is not None:
            self._workers.submit(history.history_count, self._catalogue, self._filter,
                                 on_result=lambda n: self._counted(gen, n), context=self,
                                 on_error=self._failed)

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: RowIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(r, col)
        if role == ROW_ROLE:
            return r
        if role == WARNINGS_ROLE:
            return r.warnings if col == COL_STATUS else ()
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_ERROR and r.error:
                return r.error
            if col == COL_STATUS and r.warnings:
                return "Warnings:\n" + "\n".join(f"• {w}" for w in r.warnings)
            if col == COL_STARTED and r.started_at:
                return f"Started {local_time(r.started_at, '%Y-%m-%d %H:%M:%S %Z')}" + (
                    f"\nFinished {local_time(r.finished_at, '%Y-%m-%d %H:%M:%S %Z')}"
                    if r.finished_at else "")
            if col == COL_SIZE and r.files is not None:
                return f"{r.bytes or 0:,} bytes, {r.files:,} files"
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_DURATION, COL_SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(SORT_KEYS):
            return
        new = HistorySort(SORT_KEYS[column], order == Qt.SortOrder.DescendingOrder)
        if new != self._sort:
            self._sort = new
            self.reload()

    def with_text(self, text: str) -> HistoryFilter:
        return replace(self._filter, text=text)
