"""Run core functions on a thread pool; results, errors and progress come back as signals.

The callable runs off the GUI thread and must not touch widgets. Its outcome is delivered on the
GUI thread through a QObject created there (queued connection).
"""

from __future__ import annotations

import logging
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import BackupDeskError
from core.progress import CancelToken, Progress
from gui.errors import show_error

log = logging.getLogger(__name__)


class TaskSignals(QObject):
    result = Signal(object)
    error = Signal(object)  # the exception
    progress = Signal(object)  # core.progress.Progress
    finished = Signal()


class Task(QRunnable):
    """One call of `fn(*args, **kwargs)`; `progress=` and `cancel=` are passed if requested."""

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False,
                 with_cancel: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.signals = TaskSignals()
        self.cancel_token = CancelToken()
        if with_progress:
            self.kwargs["progress"] = self._emit_progress
        if with_cancel:
            self.kwargs["cancel"] = self.cancel_token

    def _emit_progress(self, p: Progress) -> None:
        self.signals.progress.emit(p)

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as e:  # delivered to the GUI, never lost
            if not _expected(e):
                log.error("task %s failed:\n%s", getattr(self.fn, "__name__", self.fn),
                          "".join(traceback.format_exception(e)))
            self.signals.error.emit(e)
        else:
            self.signals.result.emit(result)
        finally:
            self.signals.finished.emit()


def _expected(e: BaseException) -> bool:
    return isinstance(e, BackupDeskError)


class Workers(QObject):
    """The app's pool, keeping each task's signals alive until it finishes."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[TaskSignals] = set()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        with_cancel: bool = False,
        context: QObject | None = None,
        **kwargs: Any,
    ) -> Task:
        """`context` is the widget the callbacks touch: once it is deleted they are skipped.
        A bound method of a QObject is its own context."""
        task = Task(fn, *args, with_progress=on_progress is not None, with_cancel=with_cancel,
                    **kwargs)
        sig = task.signals
        self._live.add(sig)
        if on_result is not None:
            sig.result.connect(_guarded(on_result, context))
        if on_error is not None:
            sig.error.connect(_guarded(on_error, context))
        else:
            sig.error.connect(_report)
        if on_progress is not None:
            sig.progress.connect(_guarded(on_progress, context))
        sig.finished.connect(lambda: self._live.discard(sig))
        self.pool.start(task)
        return task

    def busy(self) -> bool:
        """True while any submitted task has not delivered its outcome yet."""
        return bool(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)


def _guarded(fn: Callable[[Any], None], context: QObject | None) -> Callable[[Any], None]:
    """Skip the call once its widget is deleted; a bound method is held weakly, as Qt would."""
    owner = getattr(fn, "__self__", None)
    if context is None and isinstance(owner, QObject):
        method: weakref.WeakMethod[Any] = weakref.WeakMethod(fn)

        def call_method(value: Any) -> None:
            bound = method()
            if bound is not None and shiboken6.isValid(_owner_of(bound)):
                bound(value)
        return call_method
    if context is None:
        return fn
    ref = weakref.ref(context)

    def call(value: Any) -> None:
        ctx = ref()
        if ctx is not None and shiboken6.isValid(ctx):
            fn(value)
    return call


def _owner_of(bound: Any) -> Any:
    return bound.__self__


def _report(e: BaseException) -> None:
    show_error(e)
