"""The History pane: banner, statistics, filters, the job table and a job's detail."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core import history_days, today
from core.catalogue import history
from core.catalogue.rows import Banner as BannerData
from core.catalogue.rows import HistoryFilter, JobDetail, Stats
from core.fmt import human_bytes, plural
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.history.delegates import status_delegate, trigger_delegate
from gui.panes.history.detail import JobDetailPanel
from gui.panes.history.filters import FilterBar
from gui.panes.history.model import (
    COL_BY,
    COL_DURATION,
    COL_ENGINE,
    COL_HOST,
    COL_KIND,
    COL_PLAN,
    COL_SIZE,
    COL_STARTED,
    COL_STATUS,
    COL_TRIGGER,
    WARNINGS_ROLE,
    HistoryModel,
)
from gui.panes.history.strip import ROW_H, CalendarStrip, legend_html
from gui.widgets import Banner

COLUMN_WIDTHS = {COL_PLAN: 150, COL_ENGINE: 70, COL_KIND: 70, COL_TRIGGER: 100,
                 COL_STATUS: 100, COL_STARTED: 145, COL_DURATION: 85, COL_SIZE: 85,
                 COL_BY: 100, COL_HOST: 110}


class HistoryPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.banner = Banner()
        self.banner.set_state("none", "Opening the catalogue…")
        self.stats_label = QLabel()
        self.stats_label.setObjectName("stats")
        self.stats_label.setWordWrap(True)
        self.count_label = QLabel()
        self.filters = FilterBar()
        self.strip = CalendarStrip()
        self.strip_legend = QLabel(legend_html())
        self.strip_clear = QPushButton("Show all days")
        self.strip_clear.setToolTip("Clear the plan and day chosen on the calendar strip")
        self.strip_clear.setVisible(False)
        self._day: tuple[str, date] | None = None
        self._day_filter: HistoryFilter | None = None
        self.model = HistoryModel(ctx.workers, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(COL_STARTED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, w in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(col, w)
        self.table.setItemDelegateForColumn(COL_STATUS,
                                            status_delegate(self.table, WARNINGS_ROLE))
        self.table.setItemDelegateForColumn(COL_TRIGGER, trigger_delegate(self.table))
        self.table.setToolTip("")
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(placeholder-text); font-size: 14px;")
        self.detail = JobDetailPanel()

        top = QHBoxLayout()
        top.addWidget(self.stats_label, 1)
        top.addWidget(self.count_label)
        table_box = QWidget()
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table)
        tl.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(table_box)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([520, 200])
        self.strip_scroll = strip_scroll = QScrollArea()
        strip_scroll.setWidget(self.strip)
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QFrame.Shape.NoFrame)
        strip_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        strip_scroll.setFixedHeight(self.strip.sizeHint().height())
        strip_head = QHBoxLayout()
        strip_head.addWidget(QLabel("<b>Last 90 days</b> (click a day to see its jobs)"))
        strip_head.addStretch(1)
        strip_head.addWidget(self.strip_legend)
        strip_head.addWidget(self.strip_clear)
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addLayout(top)
        lay.addLayout(strip_head)
        lay.addWidget(strip_scroll)
        lay.addWidget(self.filters)
        lay.addWidget(split, 1)

        self.filters.changed.connect(self._filter_changed)
        self.strip.day_clicked.connect(self._day_clicked)
        self.strip_clear.clicked.connect(self._clear_day)
        self.model.loaded.connect(self._loaded)
        self.model.rows_changed.connect(self._show_empty)
        self.model.count_changed.connect(self._count)
        self.model.failed.connect(self._failed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        ctx.catalogue_ready.connect(self._catalogue_ready)
        ctx.catalogue_failed.connect(self._failed)
        ctx.jobs_changed.connect(self.refresh)
        self._shown_job: int | None = None
        self._summary_due = False
        self.empty.setVisible(False)
        if ctx.catalogue is not None:
            self._catalogue_ready()

    # -- data flow -------------------------------------------------------------------------
    def _catalogue_ready(self) -> None:
        cat = self.ctx.catalogue
        assert cat is not None
        self._summary_due = True  # after the first page: the page goes first on screen
        self.model.set_catalogue(cat)

    def refresh(self) -> None:
        """Jobs changed somewhere: update the rows on screen, the banner and the stats."""
        if self.ctx.catalogue is None:
            return
        self.model.refresh_loaded()
        self._refresh_summary()
        if self._shown_job is not None:
            self._load_detail(self._shown_job)

    def _refresh_summary(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        w = self.ctx.workers
        w.submit(today.banner, cat, on_result=self._show_banner, on_error=self._failed)
        w.submit(history.stats, cat, on_result=self._show_stats, on_error=self._failed)
        w.submit(history.distinct_values, cat,
                 on_result=lambda v: self.filters.set_choices(v["plans"], v["engines"]),
                 on_error=self._failed, context=self.filters)
        w.submit(history_days.plan_strips, cat, on_result=self._show_strips,
                 on_error=self._failed)

    def _filter_changed(self, flt: HistoryFilter) -> None:
        if self._day is not None and flt != self._day_filter:
            self._set_day(None)  # the filters were changed by hand
        self.model.set_filter(flt)

    # -- calendar strip --------------------------------------------------------------------
    def _day_clicked(self, plan: str, day: date) -> None:
        if self._day == (plan, day):
            self._clear_day()
            return
        self._day = None
        self.filters.show_day(plan, day)  # filters the table through _filter_changed
        self._day_filter = self.filters.current()
        self._set_day((plan, day))

    def _show_strips(self, strips: list[history_days.PlanStrip]) -> None:
        self.strip.set_strips(strips)
        # six plans' rows at most; more scroll
        self.strip_scroll.setFixedHeight(min(self.strip.sizeHint().height(), 6 * ROW_H + 2))

    def _clear_day(self) -> None:
        self._set_day(None)
        self.filters.clear_day()

    def _set_day(self, day: tuple[str, date] | None) -> None:
        self._day = day
        if day is None:
            self._day_filter = None
        self.strip.set_selected(day)
        self.strip_clear.setVisible(day is not None)

    def _loaded(self) -> None:
        if self._summary_due:
            self._summary_due = False
            self._refresh_summary()
        self._show_empty()
        if self._shown_job is not None:
            row = self.model.row_of(self._shown_job)
            if row >= 0:
                self.table.selectRow(row)

    def _show_empty(self) -> None:
        empty = self.model.rowCount() == 0
        self.empty.setVisible(empty)
        if empty:
            self.empty.setText(
                "No jobs match these filters." if self.model.filter != HistoryFilter()
                else "No jobs yet. Jobs appear here when a plan runs — from this window, the "
                     "scheduler, or `backupdesk run` in a terminal.")

    def _count(self, n: int) -> None:
        self.count_label.setText(f"{n:,} {plural(n, 'job')}")

    def _show_banner(self, b: BannerData) -> None:
        self.banner.set_state(b.level, b.text)
        tips = [f"{p.plan}: " + ("ok today" if p.last_success else "no success today")
                + (f", last run {p.last_status}" if p.last_status else "") for p in b.plans]
        self.banner.setToolTip("\n".join(tips))

    def _show_stats(self, s: Stats) -> None:
        rate = f"{s.success_rate:.0%}" if s.success_rate is not None else "—"
        self.stats_label.setText(
            f"<b>Last 30 days:</b> {s.jobs:,} {plural(s.jobs, 'job')} · success rate {rate} · "
            f"{human_bytes(s.bytes) or '0 B'} written")

    def _failed(self, e: object) -> None:
        msg = error_text(e) if isinstance(e, BaseException) else str(e)
        self.banner.set_state("error", msg)

    # -- detail ----------------------------------------------------------------------------
    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        row = self.model.row_at(rows[0].row()) if rows else None
        if row is None:
            return
        if row.id != self._shown_job:
            self._shown_job = row.id
            self._load_detail(row.id)

    def _load_detail(self, job_id: int) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        self.ctx.workers.submit(history.job_detail, cat, job_id, on_result=self._show_detail,
                                on_error=self._failed)

    def _show_detail(self, d: JobDetail | None) -> None:
        cat = self.ctx.catalogue
        if d is None or d.row.id != self._shown_job or cat is None:
            return
        self.detail.show_detail(d)
        job = d.row.id
        if d.row.plan:
            self.ctx.workers.submit(
                history_days.trend, cat, d.row.plan,
                on_result=lambda t: self.detail.chart.set_trend(t, job)
                if job == self._shown_job else None,
                on_error=self._failed, context=self.detail.chart)
        else:
            self.detail.chart.set_trend(None)
