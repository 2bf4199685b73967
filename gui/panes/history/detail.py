"""The job detail panel: summary, full log, backups produced."""

from __future__ import annotations

import html

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.catalogue.rows import JobDetail
from core.findex.summary import change_lines
from core.fmt import human_bytes, human_duration, local_time
from gui import theme
from gui.panes.history.chart import TrendChart
from gui.panes.history.delegates import WARNING_MARK


class JobDetailPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(self.summary.textFormat().RichText)
        self.summary.setTextInteractionFlags(
            self.summary.textInteractionFlags().TextSelectableByMouse)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("No log for this job.")
        self.backups = QListWidget()
        self.chart = TrendChart()
        wrap = QWidget()
        wl = QVBoxLayout(wrap)
        wl.addWidget(self.summary)
        wl.addStretch(1)
        self.tabs.addTab(wrap, "Summary")
        self.tabs.addTab(self.log, "Log")
        self.tabs.addTab(self.backups, "Backups")
        self.tabs.addTab(self.chart, "Trend")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.show_detail(None)

    def show_detail(self, d: JobDetail | None) -> None:
        self.backups.clear()
        if d is None:
            self.summary.setText("<i>Select a job to see its details and log.</i>")
            self.log.setPlainText("")
            self.tabs.setTabText(2, "Backups")
            self.chart.set_trend(None)
            return
        r = d.row
        rows = [
            ("Job", f"#{r.id}"),
            ("Plan", r.plan or "—"),
            ("Engine / kind", f"{r.engine} / {r.kind}"),
            ("Trigger", r.trigger),
            ("Status", r.status),
            ("Requested by", f"{r.requested_by}" + (f" on {d.host}" if d.host else "")),
            ("Started", local_time(r.started_at, "%Y-%m-%d %H:%M:%S")),
            ("Finished", local_time(r.finished_at, "%Y-%m-%d %H:%M:%S") or "—"),
            ("Duration", human_duration(r.duration_ms) or "—"),
            ("Size", human_bytes(r.bytes) or "—"),
            ("Files", f"{r.files:,}" if r.files is not None else "—"),
        ]
        changes = change_lines(d.details.get("changes"))
        if changes:
            rows.append(("Changes", "<br>".join(html.escape(x) for x in changes)))
        if r.error:
            red = theme.colour("error_text")
            rows.append(("Error", f"<span style='color:{red}'>{html.escape(r.error)}</span>"))
        if r.warnings:
            amber = theme.colour("warn_text")
            rows.append(("Warnings", "<br>".join(
                f"<span style='color:{amber}'>{WARNING_MARK} {html.escape(w)}</span>"
                for w in r.warnings)))
        body = "".join(
            f"<tr><td style='padding-right:12px;color:palette(placeholder-text)'>{k}</td>"
            f"<td>{v if k in ('Error', 'Warnings', 'Changes') else html.escape(v)}</td></tr>"
            for k, v in rows
        )
        self.summary.setText(f"<table>{body}</table>")
        self.log.setPlainText(d.log)
        for b in d.backups:
            self.backups.addItem(
                f"#{b['id']}  {b['type']}  {b['name']}  {human_bytes(b['size'])}")
        self.tabs.setTabText(2, f"Backups ({len(d.backups)})")
