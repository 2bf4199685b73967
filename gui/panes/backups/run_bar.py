"""Progress of the plans running now (one line each, with Cancel) and the last run's outcome;
a borg repository busy with another process offers Retry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from core.catalogue.history import running_jobs
from core.fmt import count
from core.progress import Progress, describe
from core.timeutil import to_aware
from gui.context import AppContext
from gui.panes.backups.filters import type_label
from gui.panes.backups.guard import guarded
from gui.run_controller import run_controller
from gui.widgets import Banner

OUTCOME_LEVELS = {"success": "ok", "partial": "warning", "cancelled": "none"}


def elapsed(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RunRow(QWidget):
    """A run of this window (with Cancel), or of another process (`job` set, no Cancel)."""

    def __init__(self, plan: str, parent: QWidget | None = None, started: float | None = None,
                 job: int | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.job = job
        self.started = time.time() if started is None else started
        self.text = "starting…"
        self.label = QLabel(f"<b>{plan}</b>: starting…")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self.cancel_button.setVisible(job is None)

    def tick(self) -> None:
        self.label.setText(f"<b>{self.plan}</b>: {self.text} · "
                           f"{elapsed(time.time() - self.started)} elapsed")

    def show_progress(self, p: Progress) -> None:
        self.text = describe(p)
        self.tick()
        frac = p.fraction
        if frac is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(frac * 1000))


class RunBar(QWidget):
    """Embedded by the Backups and Settings panes; both follow the same runs."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = run_controller(ctx)
        self.rows: dict[str, RunRow] = {}
        self.outcome = Banner()
        self.retry_button = QPushButton("Retry")
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self._retry)
        self._retry_fn: Callable[[], object] | None = None
        row = QHBoxLayout()
        row.addWidget(self.outcome, 1)
        row.addWidget(self.retry_button)
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.addLayout(row)
        self.runs.started.connect(self._started)
        self.runs.progress.connect(self._progress)
        self.runs.finished.connect(self._finished)
        self.runs.failed.connect(self._failed)
        self.ctx = ctx
        self.others: dict[int, RunRow] = {}  # job id -> a run of another process
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._tick)
        for plan in self.runs.running():
            self._started(plan)
        ctx.jobs_changed.connect(self._look_elsewhere)
        ctx.when_ready(self._look_elsewhere)

    def _tick(self) -> None:
        rows = [*self.rows.values(), *self.others.values()]
        for row in rows:
            row.tick()
        if not rows:
            self.clock.stop()

    def _look_elsewhere(self) -> None:
        """Runs of other processes (a terminal, the scheduler): their heartbeat's progress."""
        if self.ctx.catalogue is not None:
            self.ctx.workers.submit(running_jobs, self.ctx.catalogue,
                                    on_result=guarded(self, self._show_others))

    def _show_others(self, jobs: list[Any]) -> None:
        mine = set(self.runs.running())
        seen = set()
        for j in jobs:
            if j.kind != "backup" or j.plan in mine:
                continue
            seen.add(j.id)
            row = self.others.get(j.id)
            if row is None:
                start = to_aware(j.started_at)
                row = RunRow(j.plan, job=j.id,
                             started=start.timestamp() if start else time.time())
                row.setToolTip(f"Job {j.id}, started from {j.trigger} on {j.host} "
                               f"(process {j.pid})")
                self.others[j.id] = row
                self.lay.insertWidget(0, row)
            row.show_progress(Progress(j.phase or "running", bytes_done=j.bytes or 0,
                                       files_done=j.files or 0,
                                       message=f"from {j.trigger}"))
        for jid in [k for k in self.others if k not in seen]:
            gone = self.others.pop(jid)
            gone.setParent(None)
            gone.deleteLater()
        if self.others:
            self.clock.start()

    def show_outcome(self, level: str, text: str) -> None:
        self._retry_fn = None
        self.retry_button.setVisible(False)
        self.outcome.set_state(level, text)

    def show_busy(self, message: str, retry: Callable[[], object]) -> None:
        """"Repository busy" with a Retry button that calls `retry`."""
        self.outcome.set_state("warning", f"Repository busy: {message}")
        self._retry_fn = retry
        self.retry_button.setVisible(True)

    def _retry(self) -> None:
        fn = self._retry_fn
        self.show_outcome("none", "")
        if fn is not None:
            fn()

    def _started(self, plan: str) -> None:
        if plan in self.rows:
            return
        row = RunRow(plan)
        row.cancel_button.clicked.connect(lambda: self._cancel(row))
        self.rows[plan] = row
        self.lay.insertWidget(0, row)
        self.clock.start()

    def _cancel(self, row: RunRow) -> None:
        row.cancel_button.setEnabled(False)
        row.label.setText(f"<b>{row.plan}</b>: cancelling…")
        self.runs.cancel(row.plan)

    def _progress(self, plan: str, p: Progress) -> None:
        row = self.rows.get(plan)
        if row is not None and row.cancel_button.isEnabled():
            row.show_progress(p)

    def _drop(self, plan: str) -> None:
        row = self.rows.pop(plan, None)
        if row is not None:
            row.setParent(None)
            row.deleteLater()

    def _finished(self, plan: str, outcome: Any) -> None:
        self._drop(plan)
        if outcome.status == "failed" and outcome.error_kind == "busy":
            self.show_busy(outcome.error, lambda: self.runs.start(plan))
            return
        level = OUTCOME_LEVELS.get(outcome.status, "error")
        what = (f"backup {outcome.backup_id} ({type_label(outcome.type or '')})"
                if outcome.backup_id else "no backup")
        text = f"Run of {plan!r}: {outcome.status}, {what}, job {outcome.job_id}."
        if outcome.error:
            text += f" {outcome.error}"
        if outcome.warnings:
            text += f" {count(len(outcome.warnings), 'warning')}: {outcome.warnings[0]}"
        self.show_outcome(level, text)

    def _failed(self, plan: str, message: str) -> None:
        if plan not in self.runs.running():
            self._drop(plan)
        # A repository held by another process ends as a failed run (error kind "busy", in
        # _finished); what fails before a job (plan already running, a bad plan) is said here.
        self.show_outcome("error", f"Run of {plan!r}: {message}")
