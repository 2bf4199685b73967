"""A job's life in the catalogue: start (taking its lock), heartbeat, log, finish, recovery."""

from __future__ import annotations

import getpass
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from core.catalogue.db import Catalogue, active_job_exists
from core.catalogue.models import Job, JobLog, JobStatus, JobTrigger
from core.errors import BackupDeskError, CancelledError, LockedError, NotFoundError
from core.fmt import local_time
from core.timeutil import utcnow

# Also how often a running job's progress reaches the catalogue (every window shows it).
HEARTBEAT_EVERY = timedelta(seconds=1)
# A running job whose process cannot be checked (another host) is presumed dead after this.
STALE_AFTER = timedelta(minutes=5)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def this_host() -> str:
    return socket.gethostname()


def plan_lock_key(plan_id: int) -> str:
    return f"plan:{plan_id}"


def start_job(
    cat: Catalogue,
    *,
    engine: str,
    kind: str,
    trigger: str = JobTrigger.MANUAL.value,
    plan_id: int | None = None,
    plan_name: str = "",
    requested_by: str | None = None,
    lock_key: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Record a running job and take `lock_key`; LockedError if another job holds it."""
    now = utcnow()
    if requested_by is None:
        requested_by = "scheduler" if trigger == JobTrigger.SCHEDULED.value else current_user()
    job = Job(
        plan_id=plan_id,
        plan_name=plan_name,
        engine=engine,
        kind=kind,
        trigger=trigger,
        status=JobStatus.RUNNING.value,
        requested_by=requested_by,
        host=this_host(),
        pid=os.getpid(),
        created_at=now,
        started_at=now,
        heartbeat_at=now,
        lock_key=lock_key,
        details=details or {},
    )
    if lock_key is not None:
        recover_interrupted(cat, lock_key=lock_key)
    try:
        with cat.session() as s:
            s.add(job)
            s.add(JobLog(job=job, text=""))
    except IntegrityError as e:
        holder = _lock_holder(cat, lock_key) if lock_key else None
        who = (
            f" (job {holder.id}, started {local_time(holder.started_at, '%Y-%m-%d %H:%M %Z')} by "
            f"{holder.requested_by} on {holder.host})"
            if holder and holder.started_at
            else ""
        )
        name = plan_name or lock_key
        raise LockedError(f"{name} is already running{who}.") from e
    return job.id


def _lock_holder(cat: Catalogue, lock_key: str) -> Job | None:
    with cat.session() as s:
        return s.scalars(select(Job).where(Job.lock_key == lock_key)).first()


def heartbeat(cat: Catalogue, job_id: int, **fields: Any) -> None:
    """Mark the job alive; `fields` may update bytes, files or details."""
    with cat.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow(), **fields))


def append_log(cat: Catalogue, job_id: int, text: str) -> None:
    if not text:
        return
    if not text.endswith("\n"):
        text += "\n"
    with cat.session() as s:
        s.execute(update(JobLog).where(JobLog.job_id == job_id).values(text=JobLog.text + text))


def finish_job(
    cat: Catalogue,
    job_id: int,
    status: JobStatus | str,
    *,
    error: str | None = None,
    bytes: int | None = None,
    files: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """End the job: status, duration, counters; releases its lock."""
    status = JobStatus(status)
    with cat.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"No job {job_id}.")
        now = utcnow()
        job.status = status.value
        job.finished_at = now
        if job.started_at is not None:
            job.duration_ms = int((now - job.started_at).total_seconds() * 1000)
        job.lock_key = None
        job.error = error
        if bytes is not None:
            job.bytes = bytes
        if files is not None:
            job.files = files
        if details:
            job.details = {**(job.details or {}), **details}


def discard_job(cat: Catalogue, job_id: int) -> None:
    """Forget a finished job that changed nothing (the app's refresh at start-up), log and all."""
    with cat.session() as s:
        log = s.get(JobLog, job_id)
        if log is not None:
            s.delete(log)
        job = s.get(Job, job_id)
        if job is not None and job.status != JobStatus.RUNNING.value:
            s.delete(job)


def fail_job(cat: Catalogue, job_id: int, e: BaseException) -> None:
    """End a job on the exception that stopped it: cancelled or failed, with the reason in its
    log and error (an unexpected exception as an internal error)."""
    status = JobStatus.CANCELLED if isinstance(e, CancelledError) else JobStatus.FAILED
    msg = str(e) if isinstance(e, BackupDeskError) else f"Internal error: {e!r}"
    append_log(cat, job_id, f"Failed: {msg}")
    finish_job(cat, job_id, status, error=msg)


def record_external_job(
    cat: Catalogue,
    *,
    external_ref: str,
    engine: str,
    kind: str,
    started_at: datetime,
    finished_at: datetime | None,
    plan_id: int | None = None,
    plan_name: str = "",
    status: str = JobStatus.SUCCESS.value,
    requested_by: str = "",
    bytes: int | None = None,
    files: int | None = None,
    log: str = "",
    details: dict[str, Any] | None = None,
) -> int | None:
    """Record a job that ran outside the app, once: returns its id, or None if known already."""
    with cat.session() as s:
        if s.scalar(select(Job.id).where(Job.external_ref == external_ref)) is not None:
            return None
    duration = (
        int((finished_at - started_at).total_seconds() * 1000) if finished_at else None
    )
    job = Job(
        plan_id=plan_id,
        plan_name=plan_name,
        engine=engine,
        kind=kind,
        trigger=JobTrigger.EXTERNAL.value,
        status=status,
        requested_by=requested_by,
        host="",
        created_at=started_at,
        started_at=started_at,
        finished_at=finished_at,
        duration_ms=duration,
        bytes=bytes,
        files=files,
        external_ref=external_ref,
        details=details or {},
    )
    try:
        with cat.session() as s:
            s.add(job)
            s.add(JobLog(job=job, text=log))
    except IntegrityError:
        return None  # another process recorded it first
    return job.id


def _pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted(cat: Catalogue, *, lock_key: str | None = None) -> list[int]:
    """Mark jobs left running by a process that is gone as interrupted; returns their ids."""
    if not active_job_exists(cat):  # the usual case, answered cheaply
        return []
    active = (JobStatus.RUNNING.value, JobStatus.QUEUED.value)
    host = this_host()
    now = utcnow()
    stale = now - STALE_AFTER
    with cat.session() as s:
        q = select(Job).where(Job.status.in_(active))
        if lock_key is not None:
            q = q.where(Job.lock_key == lock_key)
        else:
            q = q.where(or_(Job.host == host, Job.heartbeat_at < stale, Job.heartbeat_at.is_(None)))
        dead: list[int] = []
        for job in s.scalars(q):
            if job.host == host:
                gone = not _pid_alive(job.pid)
                reason = f"process {job.pid} on {host} ended without finishing the job"
            else:
                gone = job.heartbeat_at is None or job.heartbeat_at < stale
                reason = (
                    f"no sign of life from {job.host or 'its host'} since "
                    f"{job.heartbeat_at or job.started_at:%Y-%m-%d %H:%M} UTC"
                )
            if not gone:
                continue
            job.status = JobStatus.INTERRUPTED.value
            job.finished_at = now
            job.lock_key = None
            job.error = f"Interrupted: {reason}."
            if job.started_at is not None:
                job.duration_ms = int(((job.heartbeat_at or now) - job.started_at).total_seconds()
                                      * 1000)
            dead.append(job.id)
    return dead
