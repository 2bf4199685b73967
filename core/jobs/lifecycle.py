"""One life for every job: lock, start, heartbeat with a buffered log, finish.

    with job(cat, kind="backup", engine="archive", plan=plan, lock_key=...) as j:
        j.log("...")
        ... j.progress(p) ... j.cancel.raise_if_cancelled() ...
        j.end.status, j.end.bytes = JobStatus.PARTIAL, 123

Leaving the block finishes the job with `j.end`. An exception finishes it as cancelled or
failed, with its error kind (core.errors: `BackupDeskError.kind`, "internal" for anything
else) in the job's details, and is raised again. A job is never left running by its process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import unreachable
from core.catalogue.jobs import (
    HEARTBEAT_EVERY,
    append_log,
    finish_job,
    heartbeat,
    start_job,
)
from core.catalogue.models import JobStatus, JobTrigger, Plan
from core.errors import BackupDeskError, CancelledError
from core.jobs import pending
from core.progress import CancelToken, Progress, ProgressCallback, no_progress
from core.timeutil import utcnow

log = logging.getLogger(__name__)

INTERNAL = "internal"
LOG_FLUSH_EVERY = 1.0  # seconds; a short job costs two log writes, not one per line
FINISH_TRIES = 4
FINISH_PAUSE = 2.0  # seconds between tries to finish a job whose catalogue is unreachable


def error_kind(e: BaseException) -> str:
    """What kind of failure `e` is, as recorded on a job: never read from its message."""
    return e.kind if isinstance(e, BackupDeskError) else INTERNAL


def end_status(e: BaseException) -> JobStatus:
    """How a job that `e` stopped ends: cancelled, or failed."""
    return JobStatus.CANCELLED if isinstance(e, CancelledError) else JobStatus.FAILED


def error_text(e: BaseException) -> str:
    return str(e) if isinstance(e, BackupDeskError) else f"Internal error: {type(e).__name__}: {e}"


@dataclass
class JobEnd:
    """How the job ends when its block leaves normally; the body fills it in."""

    status: JobStatus = JobStatus.SUCCESS
    error: str | None = None
    bytes: int | None = None
    files: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobEvent:
    """What listeners hear: "started", then "finished" with the job's final status."""

    event: str
    job_id: int
    kind: str
    engine: str
    plan_id: int | None
    plan_name: str
    trigger: str
    status: str
    error: str | None = None
    error_kind: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


JobListener = Callable[[JobEvent], None]
JobStep = Callable[["Job"], None]
_listeners: list[JobListener] = []
_guards: list[JobStep] = []
_finishers: list[JobStep] = []


def add_listener(fn: JobListener) -> None:
    """Hear every job's start and finish in this process (hooks, pings, checks attach here).
    A listener that raises is logged and never changes the job."""
    _listeners.append(fn)


def remove_listener(fn: JobListener) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def add_guard(fn: JobStep) -> None:
    """Run `fn(job)` after every job starts and before its body (a "before" hook). A guard that
    raises stops the job: it finishes cancelled or failed like a body that raised."""
    _guards.append(fn)


def remove_guard(fn: JobStep) -> None:
    if fn in _guards:
        _guards.remove(fn)


def add_finisher(fn: JobStep) -> None:
    """Run `fn(job)` when a job's body ends without raising, before the job is finished: it may
    add to `job.end.details` (warnings of an anomaly check). One that raises is logged."""
    _finishers.append(fn)


def remove_finisher(fn: JobStep) -> None:
    if fn in _finishers:
        _finishers.remove(fn)


def _tell(ev: JobEvent) -> None:
    for fn in list(_listeners):
        try:
            fn(ev)
        except Exception:
            log.exception("job listener %r failed on %s of job %s", fn, ev.event, ev.job_id)


class Job:
    """A running job as its body sees it."""

    def __init__(self, cat: Catalogue, job_id: int, *, kind: str, engine: str, plan_id: int | None,
                 plan_name: str, trigger: str, progress: ProgressCallback,
                 cancel: CancelToken) -> None:
        self.cat, self.id = cat, job_id
        self.kind, self.engine, self.trigger = kind, engine, trigger
        self.plan_id, self.plan_name = plan_id, plan_name
        self.cancel = cancel
        self.end = JobEnd()
        self.last: Progress | None = None
        self._listener = progress
        self._pending: list[str] = []
        self._flushed_at = 0.0
        self._lock = threading.Lock()

    @property
    def listening(self) -> bool:
        """Someone shows this job's progress (a caller may skip costly progress reports)."""
        return self._listener is not no_progress

    def progress(self, p: Progress) -> None:
        """Report progress: to the caller at once, to the catalogue with the next heartbeat."""
        self.last = p
        self._listener(p)

    def log(self, text: str | list[str]) -> None:
        """Add lines to the job's log, each stamped with the time."""
        lines = text if isinstance(text, list) else text.splitlines()
        if not lines:
            return
        stamp = utcnow().strftime("%H:%M:%S")
        with self._lock:
            self._pending.extend(f"{stamp} {ln}" for ln in lines)
        if time.monotonic() - self._flushed_at >= LOG_FLUSH_EVERY:
            try:
                self.flush()
            except Exception:  # kept for the next flush (the catalogue may be back by then)
                log.warning("log of job %s not written yet", self.id, exc_info=True)

    def flush(self) -> None:
        with self._lock:  # the heartbeat thread flushes too
            lines, self._pending = self._pending, []
            self._flushed_at = time.monotonic()
            if lines:
                try:
                    append_log(self.cat, self.id, "\n".join(lines))
                except BaseException:
                    self._pending[:0] = lines
                    raise

    def unwritten_log(self) -> str:
        with self._lock:
            return "\n".join(self._pending)

    def _beat(self) -> None:
        self.flush()
        p = self.last
        if p is None:
            heartbeat(self.cat, self.id)
        else:
            heartbeat(self.cat, self.id, bytes=p.bytes_done, files=p.files_done,
                      phase=p.phase[:32])


class _Heartbeat:
    """Marks the job alive and writes its progress and log every HEARTBEAT_EVERY."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job.id}",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                self.job._beat()
            except Exception:  # a missed heartbeat is logged, never fatal
                log.exception("heartbeat of job %s failed", self.job.id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _record_end(j: Job, end: JobEnd) -> None:
    """Write the job's last log lines and finish it. While the catalogue is unreachable (a
    server restarting: tried for about FINISH_TRIES * FINISH_PAUSE seconds), its outcome is
    kept on this machine and recorded when the catalogue answers again (core.jobs.pending)."""
    for attempt in range(FINISH_TRIES):
        try:
            j.flush()
            finish_job(j.cat, j.id, end.status, error=end.error, bytes=end.bytes,
                       files=end.files, details=end.details or None)
            return
        except Exception as e:
            if unreachable(e) is None:
                raise
            if attempt < FINISH_TRIES - 1:
                time.sleep(FINISH_PAUSE)
    kept = pending.keep(j.cat, pending.Pending(
        "", j.id, end.status.value, end.error, end.bytes, end.files, dict(end.details),
        j.unwritten_log()))
    log.warning("catalogue unreachable when job %s ended %s: its outcome is kept in %s and "
                "recorded when the catalogue answers again", j.id, end.status.value, kept)


@contextmanager
def job(cat: Catalogue, *, kind: str, engine: str, plan: Plan | None = None,
        plan_id: int | None = None, plan_name: str = "",
        trigger: str = JobTrigger.MANUAL.value, requested_by: str | None = None,
        lock_key: str | None = None, details: dict[str, Any] | None = None,
        progress: ProgressCallback = no_progress,
        cancel: CancelToken | None = None) -> Iterator[Job]:
    """Start a job (taking `lock_key`: LockedError, and no job, if another job holds it), run
    the block as its body, and finish it. See the module's docstring."""
    if plan is not None:
        plan_id, plan_name = plan.id, plan.name
    job_id = start_job(cat, engine=engine, kind=kind, trigger=trigger, plan_id=plan_id,
                       plan_name=plan_name, requested_by=requested_by, lock_key=lock_key,
                       details=details)
    j = Job(cat, job_id, kind=kind, engine=engine, plan_id=plan_id, plan_name=plan_name,
            trigger=trigger, progress=progress, cancel=cancel or CancelToken())
    event = JobEvent("started", job_id, kind, engine, plan_id, plan_name, trigger,
                     JobStatus.RUNNING.value)
    _tell(event)
    beat = _Heartbeat(j)
    try:
        for guard in list(_guards):
            guard(j)
        yield j
    except BaseException as e:
        beat.stop()
        status = end_status(e)
        text, kind_of = error_text(e), error_kind(e)
        if kind_of == INTERNAL:
            log.error("job %s failed", job_id, exc_info=e)
        j.log(f"{'Cancelled' if status is JobStatus.CANCELLED else 'Failed'}: {text}")
        details = {**j.end.details, "error_kind": kind_of}
        _record_end(j, JobEnd(status, text, j.end.bytes, j.end.files, details))
        _tell(JobEvent("finished", job_id, kind, engine, plan_id, plan_name, trigger,
                       status.value, text, kind_of, details))
        raise
    beat.stop()
    end = j.end
    for fn in list(_finishers):
        try:
            fn(j)
        except Exception:
            log.exception("job finisher %r failed on job %s", fn, job_id)
    j.log(f"Finished: {end.status.value}.")
    _record_end(j, end)
    _tell(JobEvent("finished", job_id, kind, engine, plan_id, plan_name, trigger,
                   end.status.value, end.error, None, dict(end.details)))
