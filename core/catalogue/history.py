"""History queries: filtered, sorted, paged in SQL; the statistics strip.

Plain SQL over the DB-API (core.catalogue.dbapi), valid in SQLite and PostgreSQL: the History
pane, the tray and `backupdesk history` never load SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, placeholders, to_datetime, to_json
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.rows import (
    DEFAULT_SORT,
    NO_FILTER,
    HistoryFilter,
    HistoryRow,
    HistorySort,
    JobDetail,
    Stats,
)
from core.timeutil import iso, utcnow

__all__ = ["HistoryFilter", "HistoryRow", "HistorySort", "JobDetail",
           "Stats", "change_token", "distinct_values", "history_count", "history_page",
           "job_detail", "job_rows", "last_backup", "plan_names", "stats"]

# Sort key -> column. Each has an index led by it (see schema.Job).
SORT_COLUMNS = {
    "plan": "plan_name",
    "engine": "engine",
    "kind": "kind",
    "trigger": '"trigger"',
    "status": "status",
    "started": "started_at",
    "duration": "duration_ms",
    "size": "bytes",
    "requested_by": "requested_by",
    "host": "host",
    "error": "error",
    "id": "id",
}

_COLUMNS = ('SELECT id, plan_name, engine, kind, "trigger", status, requested_by, started_at,'
            " finished_at, duration_ms, bytes, files, error, plan_id, heartbeat_at, host, ")
# Only the warnings of details: a job's whole details can be large.
ROW_SELECT = _COLUMNS + "json_extract(details, '$.warnings') FROM jobs"
ROW_SELECT_PG = _COLUMNS + "details -> 'warnings' FROM jobs"


def row_select(c: Conn) -> str:
    return ROW_SELECT if c.sqlite else ROW_SELECT_PG


def warning_texts(value: Any) -> tuple[str, ...]:
    """The texts of details["warnings"] as stored (JSON text, a list or None)."""
    try:
        found = to_json(value)
    except ValueError:  # SQLite gives a string value as such, not as JSON
        return ()
    if not isinstance(found, list):
        return ()
    return tuple(str(w.get("text") or w.get("check") or w) if isinstance(w, dict) else str(w)
                 for w in found)


def _to_row(r: tuple[Any, ...]) -> HistoryRow:
    return HistoryRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], to_datetime(r[7]),
                      to_datetime(r[8]), r[9], r[10], r[11], r[12], r[13], to_datetime(r[14]),
                      r[15] or "", warning_texts(r[16]))


def _rows(c: Conn, sql: str, params: list[Any]) -> list[HistoryRow]:
    return [_to_row(r) for r in c.rows(sql, params)]


# The jobs that match a free text are found through the error column's index; fetching them by
# id reads one table page per job, scattered over the whole table (seconds from a cold disk
# for tens of thousands). Up to this many are fetched by id and sorted; more are found by walking
# the sort order's index, which stops at the page's last row.
TEXT_BY_ID_BELOW = 5_000


@dataclass
class Where:
    """A WHERE clause being built: conditions, their parameters, and how free text matched."""
    conds: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    few_text_matches: bool | None = None  # with a free text: are its matches fetched by id?
    text_errors_only: tuple[str, Any] | None = None  # the text matched errors only: SQL, param

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.conds) if self.conds else ""


def where_clauses(flt: HistoryFilter, c: Conn, *, counting: bool = False) -> Where:
    """The filter as SQL conditions and their parameters (computed once per query: free text
    reads vocabularies). A count visits every match anyway: it fetches text matches by id."""
    w = Where()
    for col, values in (
        ("plan_name", flt.plans),
        ("status", flt.statuses),
        ("engine", flt.engines),
        ('"trigger"', flt.triggers),
        ("kind", flt.kinds),
    ):
        if len(values) == 1:
            w.conds.append(f"{col} = ?")
        elif values:
            w.conds.append(f"{col} IN ({placeholders(len(values))})")
        w.params.extend(values)
    if flt.since is not None:
        w.conds.append("started_at >= ?")
        w.params.append(flt.since)
    if flt.until is not None:
        w.conds.append("started_at < ?")
        w.params.append(flt.until)
    text = flt.text.strip()
    if text:
        _text_condition(text, c, w, counting)
    return w


def _text_condition(text: str, c: Conn, w: Where, counting: bool) -> None:
    """Free text over plan, user, engine, kind and error.

    The small vocabularies are matched in Python against their distinct values (each read from
    an index), so that only the error column is scanned, through its covering index.
    """
    needle = text.casefold()
    conds: list[str] = []
    params: list[Any] = []
    for col in ("plan_name", "requested_by", "engine", "kind"):
        values = [v for v in c.column(f"SELECT DISTINCT {col} FROM jobs")
                  if v and needle in v.casefold()]
        if values:
            conds.append(f"{col} IN ({placeholders(len(values))})")
            params.extend(values)
    # SQLite's LIKE ignores ASCII case by itself; ILIKE's lower() on every row costs a third more.
    errors = ("SELECT id FROM jobs WHERE error IS NOT NULL"
              f" AND error {'LIKE' if c.sqlite else 'ILIKE'} ? ESCAPE '\\'")
    like = f"%{_escape_like(text)}%"
    by_id = True
    if c.sqlite and not counting:
        n = c.scalar(f"SELECT count(*) FROM ({errors} LIMIT ?) AS m", [like, TEXT_BY_ID_BELOW + 1])
        by_id = not conds and int(n) <= TEXT_BY_ID_BELOW
    # SQLite: a unary plus keeps the planner from fetching every match by id
    conds.append(f"{'' if by_id else '+'}id IN ({errors})")
    params.append(like)
    w.conds.append("(" + " OR ".join(conds) + ")")
    w.params.extend(params)
    w.few_text_matches = by_id
    if len(conds) == 1:
        w.text_errors_only = (errors, like)


# Columns whose index is (column, started_at, id): ties are ordered by start time.
_BY_START = {"plan", "engine", "kind", "trigger", "status"}


SORT_IN_MEMORY_BELOW = 50_000


def order_by(sort: HistorySort, *, by_index: bool = True) -> str:
    first = SORT_COLUMNS[sort.column]
    if not by_index:
        first = f"+jobs.{first}"  # SQLite: a unary plus keeps the planner off the index
    cols = [first]
    if sort.column in _BY_START:
        cols.append("started_at")
    if sort.column != "id":
        cols.append("id")
    way = " DESC" if sort.descending else " ASC"
    return " ORDER BY " + ", ".join(col + way for col in cols)


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def history_page(
    cat: Catalogue,
    flt: HistoryFilter = NO_FILTER,
    sort: HistorySort = DEFAULT_SORT,
    *,
    offset: int = 0,
    limit: int = 200,
) -> list[HistoryRow]:
    with cat.db.connect() as c:
        where = where_clauses(flt, c)
        by_index = not (c.sqlite and _few_matches(flt, sort, where, c))
        sql = row_select(c) + where.sql() + order_by(sort, by_index=by_index)
        return _rows(c, sql + " LIMIT ? OFFSET ?", [*where.params, limit, offset])


def _few_matches(flt: HistoryFilter, sort: HistorySort, where: Where, c: Conn) -> bool:
    """True when the filter keeps so few rows that sorting them beats walking the sort index.

    SQLite walks the sort column's index even when the filter keeps a handful of rows; this
    bounded count (cheap when many rows match) tells the two cases apart.
    """
    if where.few_text_matches is not None:
        return where.few_text_matches  # counted already; counting rows would fetch them by id
    if flt == NO_FILTER or sort.column == "started":
        return False
    fixed = {"plan": flt.plans, "status": flt.statuses, "engine": flt.engines,
             "trigger": flt.triggers, "kind": flt.kinds}.get(sort.column, ())
    if len(fixed) == 1:
        return False  # (column, started_at, id) index: the filter's own order is the sort order
    n = c.scalar(f"SELECT count(*) FROM (SELECT 1 FROM jobs{where.sql()} LIMIT ?) AS m",
                 [*where.params, SORT_IN_MEMORY_BELOW + 1])
    return int(n) <= SORT_IN_MEMORY_BELOW


def history_count(cat: Catalogue, flt: HistoryFilter = NO_FILTER) -> int:
    with cat.db.connect() as c:
        where = where_clauses(flt, c, counting=True)
        if where.text_errors_only and replace(flt, text="") == NO_FILTER:
            sql, like = where.text_errors_only  # from the error index alone
            return int(c.scalar(f"SELECT count(*) FROM ({sql}) AS m", [like]))
        return int(c.scalar("SELECT count(*) FROM jobs" + where.sql(), where.params))


def job_rows(cat: Catalogue, ids: list[int]) -> list[HistoryRow]:
    """Fresh rows for the given job ids (for live updates of running jobs)."""
    if not ids:
        return []
    with cat.db.connect() as c:
        return _rows(c, f"{row_select(c)} WHERE id IN ({placeholders(len(ids))})", list(ids))


def job_detail(cat: Catalogue, job_id: int) -> JobDetail | None:
    with cat.db.connect() as c:
        found = _rows(c, row_select(c) + " WHERE id = ?", [job_id])
        if not found:
            return None
        log = c.scalar("SELECT text FROM job_logs WHERE job_id = ?", [job_id]) or ""
        host, details = c.first("SELECT host, details FROM jobs WHERE id = ?",
                                [job_id]) or ("", None)
        backups = [
            {"id": bid, "name": name, "type": type_, "created_at": iso(to_datetime(created)),
             "size": size, "files": files}
            for bid, name, type_, created, size, files in c.rows(
                "SELECT id, name, type, created_at, size, files FROM backups WHERE job_id = ?"
                " ORDER BY id", [job_id])
        ]
    return JobDetail(found[0], log, host, to_json(details) or {}, backups)


def distinct_values(cat: Catalogue) -> dict[str, list[str]]:
    """Values offered by the History filters: plan names (current and past), engines."""
    with cat.db.connect() as c:
        plans = set(c.column("SELECT name FROM plans"))
        # Past plans' names: one cheap indexed skip-scan per name would be ideal; the distinct
        # over the (plan_name, started_at) index is fast enough in SQLite and PostgreSQL.
        plans.update(c.column("SELECT DISTINCT plan_name FROM jobs"))
        engines = set(c.column("SELECT DISTINCT engine FROM jobs"))
        engines.update(c.column("SELECT engine FROM plans"))
    plans.discard("")
    return {"plans": sorted(plans), "engines": sorted(engines)}


def plan_names(cat: Catalogue, *, engine: str | None = None, enabled_only: bool = False
               ) -> list[str]:
    """Names of the current plans, sorted; optionally of one engine, or enabled ones only."""
    sql = "SELECT name FROM plans WHERE 1 = 1"
    params: list[Any] = []
    if engine is not None:
        sql += " AND engine = ?"
        params.append(engine)
    if enabled_only:
        sql += " AND enabled = ?"
        params.append(True)
    with cat.db.connect() as c:
        return c.column(sql + " ORDER BY name", params)


def stats(cat: Catalogue, days: int = 30, now: datetime | None = None) -> Stats:
    since = (now or utcnow()) - timedelta(days=days)
    sql = ("SELECT count(*),"
           " coalesce(sum(CASE WHEN status = ? THEN 1 ELSE 0 END), 0),"
           " coalesce(sum(CASE WHEN status IN (?, ?, ?) THEN 1 ELSE 0 END), 0),"
           " coalesce(sum(CASE WHEN kind = ? THEN bytes ELSE 0 END), 0)"
           " FROM jobs WHERE started_at >= ?")
    params = [JobStatus.SUCCESS.value, JobStatus.FAILED.value, JobStatus.PARTIAL.value,
              JobStatus.INTERRUPTED.value, JobKind.BACKUP.value, since]
    with cat.db.connect() as c:
        n, good, failed, nbytes = c.first(sql, params) or (0, 0, 0, 0)
    return Stats(int(n), int(good), int(failed), int(nbytes or 0))


def last_backup(cat: Catalogue) -> HistoryRow | None:
    """The most recent finished backup job of any plan."""
    with cat.db.connect() as c:
        found = _rows(c, row_select(c) + " WHERE kind = ? AND finished_at IS NOT NULL"
                      " ORDER BY started_at DESC, id DESC LIMIT 1", [JobKind.BACKUP.value])
    return found[0] if found else None


@dataclass(frozen=True)
class RunningJob:
    """A job running now in any process, as its last heartbeat tells it."""

    id: int
    plan: str
    kind: str
    trigger: str
    host: str
    pid: int | None
    started_at: datetime | None  # naive UTC
    phase: str | None
    bytes: int | None
    files: int | None


def running_jobs(cat: Catalogue) -> list[RunningJob]:
    with cat.db.connect() as c:
        rows = c.rows('SELECT id, plan_name, kind, "trigger", host, pid, started_at, phase,'
                      " bytes, files FROM jobs WHERE status = ? ORDER BY id",
                      [JobStatus.RUNNING.value])
    return [RunningJob(r[0], r[1], r[2], r[3], r[4], r[5], to_datetime(r[6]), r[7], r[8], r[9])
            for r in rows]


def change_token(cat: Catalogue) -> tuple[Any, ...]:
    """Cheap fingerprint of the job table: changes when a job is added, progresses or ends."""
    with cat.db.connect() as c:
        top = c.scalar("SELECT max(id) FROM jobs")
        # One equality per status: with `status IN (?, ?)` SQLite estimates half the table
        # per value (two statuses hold nearly every row) and scans it.
        running = c.rows("SELECT id, status, heartbeat_at, bytes, files FROM jobs WHERE status = ?"
                         " UNION ALL SELECT id, status, heartbeat_at, bytes, files FROM jobs"
                         " WHERE status = ?", [JobStatus.RUNNING.value, JobStatus.QUEUED.value])
    return (top, tuple(sorted(running)))
