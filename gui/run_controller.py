"""Run a plan now: one worker per plan, progress and cancel, shared by every pane (and the tray).

One controller per AppContext (`run_controller(ctx)`), so a run started in Settings shows its
progress in the Backups pane too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.context import AppContext
from gui.errors import error_text
from gui.workers import Task

NAME = "run-controller"
PHASES = ("scanning", "archiving", "dumping", "copying", "verifying")


class RunController(QObject):
    started = Signal(str)  # plan name
    progress = Signal(str, object)  # plan name, Progress
    finished = Signal(str, object)  # plan name, RunOutcome
    failed = Signal(str, str)  # plan name, message (already running, bad plan, ...)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self._tasks: dict[str, Task] = {}

    def running(self, plan: str | None = None) -> list[str]:
        return [p for p in self._tasks if plan is None or p == plan]

    def start(self, plan: str) -> bool:
        cat = self.ctx.catalogue
        if cat is None or plan in self._tasks:
            if plan in self._tasks:
                self.failed.emit(plan, f"Plan {plan!r} is already running.")
            return False
        from core.jobs.run import run_plan  # dispatches borg plans to the borg engine

        self._tasks[plan] = self.ctx.workers.submit(
            run_plan, cat, self.ctx.config.paths, plan, trigger="manual",
            on_result=lambda out: self._done(plan, out),
            on_error=lambda e: self._error(plan, e),
            on_progress=lambda p: self.progress.emit(plan, p),
            with_cancel=True, context=self,
        )
        self.started.emit(plan)
        self.ctx.jobs_changed.emit()
        return True

    def cancel(self, plan: str) -> None:
        task = self._tasks.get(plan)
        if task is not None:
            task.cancel_token.cancel()

    def _done(self, plan: str, outcome: Any) -> None:
        self._tasks.pop(plan, None)
        self.finished.emit(plan, outcome)
        self.ctx.jobs_changed.emit()

    def _error(self, plan: str, e: BaseException) -> None:
        self._tasks.pop(plan, None)
        self.failed.emit(plan, error_text(e))  # LockedError says "already running"
        self.ctx.jobs_changed.emit()


def run_controller(ctx: AppContext) -> RunController:
    found = ctx.findChild(RunController, NAME)
    if isinstance(found, RunController):
        return found
    rc = RunController(ctx)
    rc.setObjectName(NAME)
    return rc
