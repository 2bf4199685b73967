"""The History's calendar strip and trend chart: backup jobs per plan and local day (one
aggregate), and a plan's last runs. Plain SQL, valid in SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, to_datetime
from core.catalogue.enums import JobKind, JobStatus

# Worst first: a day shows its worst backup.
RANK_FAILED, RANK_PARTIAL, RANK_SUCCESS, RANK_OTHER = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class DayRow:
    plan: str
    day: date  # local day
    worst: int  # RANK_*
    jobs: int
    first_good: datetime | None  # naive UTC start of the day's first success or partial run


@dataclass(frozen=True, slots=True)
class PlanRow:
    id: int
    name: str
    enabled: bool
    created_at: datetime | None  # naive UTC


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    started_at: datetime | None
    status: str
    duration_ms: int | None
    bytes: int | None
    files: int | None


def _local_day(c: Conn, offsets: list[tuple[datetime | None, int]]) -> tuple[str, list[Any]]:
    """SQL for started_at's local date: `offsets` are (UTC instant up to which, minutes east
    of UTC), the last with None; so a range across a DST change keeps local midnights."""
    whens: list[str] = []
    params: list[Any] = []
    for until, minutes in offsets:
        value = f"{minutes:+d} minutes" if c.sqlite else minutes
        if until is None:
            whens.append("ELSE ?")
            params.append(value)
        else:
            whens.append("WHEN started_at < ? THEN ?")
            params += [until, value]
    case = "CASE " + " ".join(whens) + " END" if len(whens) > 1 else "?"
    if c.sqlite:
        return f"date(started_at, {case})", params
    return f"CAST(started_at + CAST({case} AS INTEGER) * INTERVAL '1 minute' AS DATE)", params


def backup_days(cat: Catalogue, since: datetime, until: datetime,
                offsets: list[tuple[datetime | None, int]]) -> list[DayRow]:
    """Backup jobs started in [since, until) (naive UTC) by plan name and local day: the worst
    status, the number of jobs, the first good run's start."""
    with cat.db.connect() as c:
        day_sql, day_params = _local_day(c, offsets)
        failed = (JobStatus.FAILED.value, JobStatus.INTERRUPTED.value)
        good = (JobStatus.SUCCESS.value, JobStatus.PARTIAL.value)
        sql = (
            "SELECT plan_name, d, max(r), count(*), min(good_start) FROM ("
            f" SELECT plan_name, {day_sql} AS d,"
            " CASE WHEN status IN (?, ?) THEN ? WHEN status = ? THEN ? WHEN status = ? THEN ?"
            " ELSE ? END AS r,"
            " CASE WHEN status IN (?, ?) THEN started_at END AS good_start"
            " FROM jobs WHERE kind = ? AND started_at >= ? AND started_at < ?) AS j"
            " GROUP BY plan_name, d")
        params = [*day_params, *failed, RANK_FAILED, JobStatus.PARTIAL.value, RANK_PARTIAL,
                  JobStatus.SUCCESS.value, RANK_SUCCESS, RANK_OTHER, *good,
                  JobKind.BACKUP.value, since, until]
        rows = c.rows(sql, params)
    return [DayRow(r[0] or "", r[1] if isinstance(r[1], date) else date.fromisoformat(r[1]),
                   int(r[2]), int(r[3]), to_datetime(r[4])) for r in rows]


def plan_rows(cat: Catalogue) -> list[PlanRow]:
    with cat.db.connect() as c:
        rows = c.rows("SELECT id, name, enabled, created_at FROM plans ORDER BY name")
    return [PlanRow(r[0], r[1], bool(r[2]), to_datetime(r[3])) for r in rows]


def last_runs(cat: Catalogue, plan_name: str, limit: int = 90) -> list[RunRow]:
    """The plan's last finished backup jobs, oldest first."""
    with cat.db.connect() as c:
        rows = c.rows(
            "SELECT id, started_at, status, duration_ms, bytes, files FROM jobs"
            " WHERE plan_name = ? AND kind = ? AND finished_at IS NOT NULL AND status <> ?"
            " ORDER BY started_at DESC, id DESC LIMIT ?",
            [plan_name, JobKind.BACKUP.value, JobStatus.CANCELLED.value, limit])
    return [RunRow(r[0], to_datetime(r[1]), r[2], r[3], r[4], r[5]) for r in reversed(rows)]
