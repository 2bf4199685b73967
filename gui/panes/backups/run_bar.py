"""Progress of the plans running now (one line each, with Cancel) and the last run's outcome;
a borg repository busy with another process offers Retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from core.fmt import count
from core.progress import Progress, describe
from gui.context import AppContext
from gui.panes.backups.filters import type_label
from gui.run_controller import run_controller
from gui.widgets import Banner

OUTCOME_LEVELS = {"success": "ok", "partial": "warning", "cancelled": "none"}


class RunRow(QWidget):
    def __init__(self, plan: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
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

    def show_progress(self, p: Progress) -> None:
        self.label.setText(f"<b>{self.plan}</b>: {describe(p)}")
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
        for plan in self.runs.running():
            self._started(plan)

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
        from core.engines.borg.flows import is_busy  # loaded with the catalogue already

        if outcome.status == "failed" and is_busy(outcome.error):
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
        from core.engines.borg.flows import is_busy

        if is_busy(message):
            self.show_busy(message, lambda: self.runs.start(plan))
            return
        self.show_outcome("error", f"Run of {plan!r}: {message}")
