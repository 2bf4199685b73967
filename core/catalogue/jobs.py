"""A job's life in the catalogue: start (taking its lock), heartbeat, log, finish, recovery."""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from core.catalogue.db import Catalogue, active_job_exists
from core.catalogue.dbapi import (
    Conflict,
    Conn,
    in_chunks,
    placeholders,
    to_datetime,
    to_json,
)
from core.catalogue.enums import JobStatus, JobTrigger
from core.catalogue.models import Job
from core.errors import LockedError, NotFoundError
from core.fmt import local_time

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
    if hasattr(os, "uname"):  # socket.gethostname() on POSIX, without loading socket (3 ms)
        return os.uname().nodename
    import socket  # Windows

    return socket.gethostname()


JOB_COLUMNS = ("id", "plan_id", "plan_name", "engine", "kind", "trigger", "status", "requested_by",
               "host", "pid", "created_at", "started_at", "finished_at", "heartbeat_at", "phase",
               "duration_ms", "bytes", "files", "error", "lock_key", "external_ref", "details",
               "pid_start")
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in JOB_COLUMNS) + " FROM jobs"
_DATES = {"created_at", "started_at", "finished_at", "heartbeat_at"}
# A heartbeat's progress columns, with a stand-in for NULL in comparisons.
PROGRESS_FIELDS = {"bytes": "-1", "files": "-1", "phase": "''"}


def job_from_row(r: tuple[Any, ...]) -> Job:
    v = dict(zip(JOB_COLUMNS, r, strict=True))
    for k in _DATES:
        v[k] = to_datetime(v[k])
    v["details"] = dict(to_json(v["details"]) or {})
    return Job(**v)


def get_job(cat: Catalogue, job_id: int) -> Job | None:
    with cat.db.connect() as c:
        return _get(c, job_id)


def _get(c: Conn, job_id: int) -> Job | None:
    r = c.first(_SELECT + " WHERE id = ?", [job_id])
    return job_from_row(r) if r is not None else None


def _insert(c: Conn, job: Job, log: str) -> int:
    cols = [k for k in JOB_COLUMNS if k != "id"]
    names = ", ".join(f'"{k}"' for k in cols)
    job_id = c.insert(f"INSERT INTO jobs ({names})"
                      f" VALUES ({', '.join('?' * len(cols))})",
                      [getattr(job, k) for k in cols])
    c.execute("INSERT INTO job_logs (job_id, text) VALUES (?, ?)", [job_id, log])
    return job_id


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
    """Record a running job and take `lock_key`; LockedError if another job holds it. Its
    times are the database server's (one clock for every host)."""
    if requested_by is None:
        requested_by = "scheduler" if trigger == JobTrigger.SCHEDULED.value else current_user()
    pid = os.getpid()
    job = Job(plan_id=plan_id, plan_name=plan_name, engine=engine, kind=kind, trigger=trigger,
              status=JobStatus.RUNNING.value, requested_by=requested_by, host=this_host(),
              pid=pid, pid_start=process_start(pid), lock_key=lock_key, details=details or {})
    if lock_key is not None:
        recover_interrupted(cat, lock_key=lock_key)
    try:
        with cat.db.transaction() as c:
            # Looked up first so that a refused start takes no id from PostgreSQL's sequence;
            # the unique lock_key still decides a race.
            if lock_key is not None and c.first("SELECT id FROM jobs WHERE lock_key = ?",
                                                [lock_key]) is not None:
                raise Conflict(lock_key)
            job.created_at = job.started_at = job.heartbeat_at = c.now()
            return _insert(c, job, "")
    except Conflict as e:
        holder = _lock_holder(cat, lock_key) if lock_key else None
        who = (
            f" (job {holder.id}, started {local_time(holder.started_at, '%Y-%m-%d %H:%M %Z')} by "
            f"{holder.requested_by} on {holder.host})"
            if holder and holder.started_at
            else ""
        )
        name = plan_name or lock_key
        raise LockedError(f"{name} is already running{who}.") from e


def record_skipped(cat: Catalogue, *, kind: str, plan_id: int | None, plan_name: str,
                   lock_key: str, trigger: str = JobTrigger.SCHEDULED.value,
                   requested_by: str = "scheduler") -> int:
    """Record a run that did not start because `lock_key` was held, as a finished job of status
    skipped ("skipped: plan busy on wsA since ..."), so that the history shows and counts it."""
    holder = _lock_holder(cat, lock_key)
    why = "plan busy"
    if holder is not None and holder.started_at is not None:
        why += (f" on {holder.host or 'another host'} since "
                f"{holder.started_at:%Y-%m-%d %H:%M} UTC (job {holder.id})")
    job = Job(plan_id=plan_id, plan_name=plan_name, engine=holder.engine if holder else "",
              kind=kind, trigger=trigger, status=JobStatus.SKIPPED.value,
              requested_by=requested_by, host=this_host(), pid=os.getpid(),
              duration_ms=0, error=f"skipped: {why}", details={"error_kind": "busy"})
    with cat.db.transaction() as c:
        job.created_at = job.started_at = job.finished_at = c.now()
        return _insert(c, job, f"Skipped: {why}.\n")


def _lock_holder(cat: Catalogue, lock_key: str) -> Job | None:
    with cat.db.connect() as c:
        r = c.first(_SELECT + " WHERE lock_key = ?", [lock_key])
    return job_from_row(r) if r is not None else None


def heartbeat(cat: Catalogue, job_id: int, **fields: Any) -> None:
    """Mark the job alive; `fields` may update bytes, files, phase, details (any column)."""
    unknown = set(fields) - set(JOB_COLUMNS[1:])
    if unknown:
        raise TypeError(f"jobs have no column {', '.join(sorted(unknown))}")
    progress = [v for k, v in fields.items() if k in PROGRESS_FIELDS]
    with cat.db.connect() as c:
        clock, at = c.clock()  # the server's clock, inside the UPDATE itself
        sets = ", ".join([f'"heartbeat_at" = {clock}', *(f'"{k}" = ?' for k in fields)])
        if progress:  # progress_at: when the progress last changed
            same = " AND ".join(f'coalesce("{k}", {d}) = coalesce(?, {d})'
                                for k, d in PROGRESS_FIELDS.items() if k in fields)
            sets += f", progress_at = CASE WHEN {same} THEN progress_at ELSE {clock} END"
        moved = [*progress, *at] if progress else []
        c.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*at, *fields.values(), *moved, job_id])


def append_log(cat: Catalogue, job_id: int, text: str) -> None:
    if not text:
        return
    if not text.endswith("\n"):
        text += "\n"
    with cat.db.connect() as c:
        c.execute("UPDATE job_logs SET text = text || ? WHERE job_id = ?", [text, job_id])


def job_log(cat: Catalogue, job_id: int) -> str | None:
    """A job's whole log (None: no such job)."""
    with cat.db.connect() as c:
        return c.scalar("SELECT text FROM job_logs WHERE job_id = ?",  # type: ignore[no-any-return]
                        [job_id])


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
    with cat.db.transaction() as c:
        job = _get(c, job_id)
        if job is None:
            raise NotFoundError(f"No job {job_id}.")
        now = c.now()
        duration = (int((now - job.started_at).total_seconds() * 1000)
                    if job.started_at is not None else job.duration_ms)
        c.execute("UPDATE jobs SET status = ?, finished_at = ?, duration_ms = ?, lock_key = NULL,"
                  " error = ?, bytes = ?, files = ?, details = ? WHERE id = ?",
                  [status.value, now, duration, error,
                   bytes if bytes is not None else job.bytes,
                   files if files is not None else job.files,
                   {**job.details, **details} if details else job.details, job_id])


def record_late_finish(cat: Catalogue, job_id: int, status: JobStatus | str, *,
                       error: str | None, bytes: int | None, files: int | None,
                       details: dict[str, Any], log: str, ended_at: datetime) -> bool:
    """Record how a job ended while the catalogue was unreachable (kept by its host since): its
    status replaces "running", or "interrupted" given meanwhile by a host that saw it silent.
    False if the job is unknown or ended otherwise already."""
    status = JobStatus(status)
    note = "Recorded late: the catalogue was unreachable when the job ended.\n"
    with cat.db.transaction() as c:
        job = _get(c, job_id)
        if job is None or job.status not in (JobStatus.RUNNING.value,
                                             JobStatus.INTERRUPTED.value):
            return False
        duration = (int((ended_at - job.started_at).total_seconds() * 1000)
                    if job.started_at is not None else job.duration_ms)
        c.execute("UPDATE jobs SET status = ?, finished_at = ?, duration_ms = ?, lock_key = NULL,"
                  " error = ?, bytes = ?, files = ?, details = ? WHERE id = ?",
                  [status.value, ended_at, max(duration or 0, 0), error,
                   bytes if bytes is not None else job.bytes,
                   files if files is not None else job.files, {**job.details, **details},
                   job_id])
        c.execute("UPDATE job_logs SET text = text || ? WHERE job_id = ?",
                  [(log + "\n" if log and not log.endswith("\n") else log) + note, job_id])
    return True


def discard_job(cat: Catalogue, job_id: int) -> None:
    """Forget a finished job that changed nothing (the app's refresh at start-up), log and all."""
    with cat.db.transaction() as c:
        c.execute("DELETE FROM job_logs WHERE job_id = ?", [job_id])
        c.execute("DELETE FROM jobs WHERE id = ? AND status <> ?",
                  [job_id, JobStatus.RUNNING.value])


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
    with cat.db.connect() as c:
        if c.first("SELECT id FROM jobs WHERE external_ref = ?", [external_ref]) is not None:
            return None
    duration = (
        int((finished_at - started_at).total_seconds() * 1000) if finished_at else None
    )
    job = Job(plan_id=plan_id, plan_name=plan_name, engine=engine, kind=kind,
              trigger=JobTrigger.EXTERNAL.value, status=status, requested_by=requested_by,
              host="", created_at=started_at, started_at=started_at, finished_at=finished_at,
              duration_ms=duration, bytes=bytes, files=files, external_ref=external_ref,
              details=details or {})
    try:
        with cat.db.transaction() as c:
            return _insert(c, job, log)
    except Conflict:
        return None  # another process recorded it first


def job_hosts(cat: Catalogue, job_ids: Sequence[int]) -> dict[int, str]:
    """The host each of these jobs ran on (jobs without one are left out)."""
    found: dict[int, str] = {}
    with cat.db.connect() as c:
        for part in in_chunks(sorted(set(job_ids))):
            for job_id, host in c.rows("SELECT id, host FROM jobs WHERE host <> '' AND id IN"
                                       f" ({placeholders(len(part))})", part):
                found[int(job_id)] = str(host)
    return found


def newest_job_id(cat: Catalogue) -> int | None:
    with cat.db.connect() as c:
        top = c.scalar("SELECT max(id) FROM jobs")
    return int(top) if top is not None else None


def deep_verified_since(cat: Catalogue, plan_id: int, since: datetime) -> bool:
    """A verify of the plan that downloaded and hashed its remote copies (`details.deep`)
    started at `since` or later (naive UTC)."""
    with cat.db.connect() as c:
        rows = c.rows("SELECT details FROM jobs WHERE kind = ? AND plan_id = ? AND "
                      "started_at >= ? AND status IN (?, ?)",
                      ["verify", plan_id, since, JobStatus.SUCCESS.value,
                       JobStatus.FAILED.value])
    return any(dict(to_json(r[0]) or {}).get("deep") for r in rows)


def failed_since(cat: Catalogue, started_after: datetime, finished_after: datetime) -> list[Job]:
    """Jobs of any trigger that failed, were interrupted or ended partial."""
    with cat.db.connect() as c:
        rows = c.rows(_SELECT + " WHERE status IN (?, ?, ?) AND started_at >= ?"
                      " AND finished_at >= ?",
                      [JobStatus.FAILED.value, JobStatus.INTERRUPTED.value,
                       JobStatus.PARTIAL.value, started_after, finished_after])
    return [job_from_row(r) for r in rows]


def process_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot, Linux's /proc/PID/stat field 22);
    None where that cannot be read (no such process, no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive_here(job: Job, stale: datetime) -> bool:
    """Whether a job of this host still has its process: the PID exists and is the same process
    (its start time is the one recorded). Without a recorded start time (a row from before
    revision 0004, or no /proc), the PID must exist and the heartbeat be fresh."""
    pid = job.pid
    if pid is None or pid <= 0:
        return False
    if pid != os.getpid() and not _pid_exists(pid):
        return False
    if job.pid_start is not None:
        started = process_start(pid)
        if started is not None:
            return started == job.pid_start
    return job.heartbeat_at is not None and job.heartbeat_at >= stale


def recover_interrupted(cat: Catalogue, *, lock_key: str | None = None) -> list[int]:
    """Mark jobs left running by a process that is gone as interrupted; returns their ids."""
    if not active_job_exists(cat):  # the usual case, answered cheaply
        return []
    active = [JobStatus.RUNNING.value, JobStatus.QUEUED.value]
    host = this_host()
    sql = _SELECT + " WHERE status IN (?, ?)"
    params: list[Any] = list(active)
    if lock_key is not None:
        sql += " AND lock_key = ?"
        params.append(lock_key)
    else:
        sql += " AND (host = ? OR heartbeat_at < ? OR heartbeat_at IS NULL)"
    dead: list[int] = []
    with cat.db.transaction() as c:
        now = c.now()  # the server's clock: a host whose clock is ahead sees no false deaths
        stale = now - STALE_AFTER
        if lock_key is None:
            params += [host, stale]
        for job in [job_from_row(r) for r in c.rows(sql, params)]:
            if job.host == host:
                gone = not _alive_here(job, stale)
                reason = f"process {job.pid} on {host} ended without finishing the job"
            else:
                gone = job.heartbeat_at is None or job.heartbeat_at < stale
                reason = (
                    f"no sign of life from {job.host or 'its host'} since "
                    f"{job.heartbeat_at or job.started_at:%Y-%m-%d %H:%M} UTC"
                )
            if not gone:
                continue
            duration = (int(((job.heartbeat_at or now) - job.started_at).total_seconds() * 1000)
                        if job.started_at is not None else job.duration_ms)
            c.execute("UPDATE jobs SET status = ?, finished_at = ?, lock_key = NULL, error = ?,"
                      " duration_ms = ? WHERE id = ? AND status IN (?, ?)",
                      [JobStatus.INTERRUPTED.value, now, f"Interrupted: {reason}.", duration,
                       job.id, *active])
            dead.append(job.id)
    return dead
