"""What the watchdog (core.watch) reads: per plan and kind its last runs, its schedules, its
running jobs and their usual durations, its latest backups' times and figures. Every plan in a
few statements, each an index seek per plan (never a scan of the jobs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, in_chunks, placeholders, to_datetime, to_json
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.last_backup import LAST_FINISHED, LATEST_JOB, jobs_by_id

# The job kinds a plan may be expected to run on a cadence.
WATCHED_KINDS = (JobKind.BACKUP.value, JobKind.VERIFY.value, JobKind.RESTORE_TEST.value)
RAN = (JobStatus.SUCCESS.value, JobStatus.PARTIAL.value)  # a run that happened
OK = JobStatus.SUCCESS.value
BACKUP = JobKind.BACKUP.value
BASELINE = 20


def watch_token(cat: Catalogue) -> tuple[Any, ...]:
    """Changes when a job is added or a running job ends (two index seeks): what the
    watchdog's verdicts are cached by between ticks (core.tell.metrics)."""
    with cat.db.connect() as c:
        top = c.scalar("SELECT max(id) FROM jobs")
        running = c.column("SELECT id FROM jobs WHERE status = ?", [JobStatus.RUNNING.value])
    return (top, tuple(sorted(running)))


def db_now(cat: Catalogue) -> datetime:
    """The catalogue database server's time (aware UTC): the clock that status, the watchdog
    and the History strip compare against, so that every host gives one answer."""
    with cat.db.connect() as c:
        return c.now().replace(tzinfo=UTC)


@dataclass(slots=True)
class PlanWatchFacts:
    """What the overdue and anomaly checks need to know of a plan."""
    plan_id: int
    plan: str
    enabled: bool
    created_at: datetime | None  # naive UTC, as every time here
    options: dict[str, Any]
    schedules: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # kind: expr, tz
    last_ran: dict[str, datetime] = field(default_factory=dict)  # kind: latest success/partial
    last_success: datetime | None = None  # of a backup
    last_backup_job: int | None = None  # its latest finished backup job
    last_backup_status: str | None = None
    last_backup_finished: datetime | None = None
    last_backup_details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A job still marked running."""
    id: int
    plan_id: int
    kind: str
    started_at: datetime | None
    heartbeat_at: datetime | None
    progress_at: datetime | None  # when its progress last changed (None: never since start)
    durations: tuple[int, ...]  # ms, its plan's last successful jobs of that kind


def watch_facts(cat: Catalogue) -> list[PlanWatchFacts]:
    """Every plan, by name."""
    pairs = [(k, s) for k in WATCHED_KINDS for s in RAN]
    with cat.db.connect() as c:
        rows = c.rows(f"SELECT p.id, p.name, p.enabled, p.created_at, p.options, {LATEST_JOB}, "
                      + ", ".join([LAST_FINISHED] * len(pairs)) + " FROM plans p ORDER BY p.name",
                      [BACKUP, *(v for pair in pairs for v in pair)])
        out = {}
        for r in rows:
            f = PlanWatchFacts(r[0], r[1], bool(r[2]), to_datetime(r[3]),
                               dict(to_json(r[4]) or {}), last_backup_job=r[5])
            times = iter(r[6:])
            for kind in WATCHED_KINDS:
                ran = {s: to_datetime(next(times)) for s in RAN}
                best = max((t for t in ran.values() if t is not None), default=None)
                if best is not None:
                    f.last_ran[kind] = best
                if kind == BACKUP:
                    f.last_success = ran[OK]
            out[f.plan_id] = f
        for pid, kind, expr, tz in c.rows(
                "SELECT plan_id, kind, expression, timezone FROM schedules WHERE enabled = ?"
                " ORDER BY id", [True]):
            if pid in out:
                out[pid].schedules.setdefault(kind, (expr, tz))
        _latest_backups(c, out)
    return list(out.values())


def _latest_backups(c: Conn, facts: dict[int, PlanWatchFacts]) -> None:
    by_job = {f.last_backup_job: f for f in facts.values() if f.last_backup_job is not None}
    for jid, (status, finished, details) in jobs_by_id(c, "status, finished_at, details",
                                                       by_job).items():
        f = by_job[jid]
        f.last_backup_status, f.last_backup_finished = status, to_datetime(finished)
        f.last_backup_details = dict(to_json(details) or {})


def running_jobs(cat: Catalogue) -> list[RunningJob]:
    """Jobs of plans running now, each with its plan's last durations of that kind."""
    with cat.db.connect() as c:
        rows = c.rows("SELECT id, plan_id, kind, started_at, heartbeat_at, progress_at FROM jobs"
                      " WHERE status = ? AND plan_id IS NOT NULL",
                      [JobStatus.RUNNING.value])
        out = []
        for jid, pid, kind, started, beat, moved in rows:
            durations = c.column(
                "SELECT duration_ms FROM jobs WHERE plan_id = ? AND kind = ? AND status = ?"
                " AND duration_ms IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
                [pid, kind, OK, BASELINE])
            out.append(RunningJob(jid, pid, kind, to_datetime(started), to_datetime(beat),
                                  to_datetime(moved), tuple(int(d) for d in durations)))
    return out


def backup_times(cat: Catalogue, plan_ids: Sequence[int], count: int = BASELINE + 1
                 ) -> dict[int, list[datetime]]:
    """Per plan: the creation times of its latest `count` backups, newest first."""
    out: dict[int, list[datetime]] = {}
    with cat.db.connect() as c:
        for pid in plan_ids:
            times = c.column("SELECT created_at FROM backups WHERE plan_id = ?"
                             " ORDER BY created_at DESC LIMIT ?", [pid, count])
            out[pid] = [t for t in map(to_datetime, times) if t is not None]
    return out


@dataclass(frozen=True, slots=True)
class BackupFigures:
    """A backup job's figures as the anomaly checks compare them."""

    job_id: int
    type: str | None  # full, incremental, archive (a repository's)
    bytes: int | None  # the source's bytes (a backup's original size), else the job's
    files: int | None
    duration_ms: int | None


_FIGURES = ("SELECT j.id, b.type, coalesce(b.original_size, j.bytes), coalesce(b.files, j.files),"
            " j.duration_ms FROM jobs j LEFT JOIN backups b ON b.job_id = j.id")


def backup_figures(cat: Catalogue, job_id: int, backup_id: int | None
                   ) -> tuple[BackupFigures | None, datetime | None, dict[str, Any]]:
    """A running backup job's figures (no duration yet), its start and its plan's options."""
    with cat.db.connect() as c:
        r = c.first("SELECT j.id, b.type, coalesce(b.original_size, j.bytes),"
                    " coalesce(b.files, j.files), j.started_at, p.options FROM jobs j"
                    " LEFT JOIN backups b ON b.id = ? LEFT JOIN plans p ON p.id = j.plan_id"
                    " WHERE j.id = ?", [backup_id, job_id])
    if r is None:
        return None, None, {}
    return (BackupFigures(r[0], r[1], r[2], r[3], None), to_datetime(r[4]),
            dict(to_json(r[5]) or {}))


def baseline(cat: Catalogue, plan_id: int, before_job: int, count: int = BASELINE
             ) -> list[BackupFigures]:
    """The plan's latest `count` successful backup jobs before `before_job`, newest first."""
    with cat.db.connect() as c:
        ids = c.column("SELECT id FROM jobs WHERE plan_id = ? AND kind = ? AND status = ?"
                       " AND id <> ? ORDER BY finished_at DESC LIMIT ?",
                       [plan_id, BACKUP, OK, before_job, count])
        if not ids:
            return []
        rows = c.rows(_FIGURES + f" WHERE j.id IN ({placeholders(len(ids))})", ids)
    order = {jid: i for i, jid in enumerate(ids)}
    figures = [BackupFigures(*r) for r in rows]
    seen: set[int] = set()
    out = []
    for f in sorted(figures, key=lambda f: order[f.job_id]):
        if f.job_id not in seen:  # a job with several backup rows counts once
            seen.add(f.job_id)
            out.append(f)
    return out


def job_warnings(cat: Catalogue, job_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The `warnings` of each job's details (as stored: dicts, or an engine's plain text)."""
    out: dict[int, list[Any]] = {}
    with cat.db.connect() as c:
        for chunk in in_chunks(list(job_ids)):
            for jid, details in c.rows(f"SELECT id, details FROM jobs WHERE id IN"
                                       f" ({placeholders(len(chunk))})", chunk):
                out[jid] = list((to_json(details) or {}).get("warnings") or [])
    return out
