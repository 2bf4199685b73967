"""History queries: filtered, sorted, paged in SQL; the banner; the statistics strip."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
)

from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, Job, JobKind, JobLog, JobStatus, Plan
from core.catalogue.rows import (
    DEFAULT_SORT,
    NO_FILTER,
    Banner,
    HistoryFilter,
    HistoryRow,
    HistorySort,
    JobDetail,
    PlanToday,
    Stats,
)
from core.timeutil import iso, local_midnight_utc, to_aware, utcnow

__all__ = ["Banner", "HistoryFilter", "HistoryRow", "HistorySort", "JobDetail", "PlanToday",
           "Stats", "banner", "change_token", "distinct_values", "history_count", "history_page",
           "job_detail", "job_rows", "last_backup", "stats"]

# Column name -> sortable expression. Each has an index led by it (see models.Job).
SORT_COLUMNS = {
    "plan": Job.plan_name,
    "engine": Job.engine,
    "kind": Job.kind,
    "trigger": Job.trigger,
    "status": Job.status,
    "started": Job.started_at,
    "duration": Job.duration_ms,
    "size": Job.bytes,
    "requested_by": Job.requested_by,
    "error": Job.error,
    "id": Job.id,
}

ROW_COLUMNS = (
    Job.id,
    Job.plan_name,
    Job.engine,
    Job.kind,
    Job.trigger,
    Job.status,
    Job.requested_by,
    Job.started_at,
    Job.finished_at,
    Job.duration_ms,
    Job.bytes,
    Job.files,
    Job.error,
    Job.plan_id,
    Job.heartbeat_at,
)


def _to_rows(result: Iterable[Any]) -> list[HistoryRow]:
    return [HistoryRow(*r) for r in result]


def where_clauses(flt: HistoryFilter, conn: Connection) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions (computed once per query: free text reads vocabularies)."""
    out: list[ColumnElement[bool]] = []
    for col, values in (
        (Job.plan_name, flt.plans),
        (Job.status, flt.statuses),
        (Job.engine, flt.engines),
        (Job.trigger, flt.triggers),
        (Job.kind, flt.kinds),
    ):
        if len(values) == 1:
            out.append(col == values[0])
        elif values:
            out.append(col.in_(values))
    if flt.since is not None:
        out.append(Job.started_at >= flt.since)
    if flt.until is not None:
        out.append(Job.started_at < flt.until)
    text = flt.text.strip()
    if text:
        out.append(_text_condition(text, conn))
    return out


def _text_condition(text: str, conn: Connection) -> ColumnElement[bool]:
    """Free text over plan, user, engine, kind and error.

    The small vocabularies are matched in Python against their distinct values (each read from
    an index), so that only the error column is scanned, through its covering index.
    """
    needle = text.casefold()
    conds: list[ColumnElement[bool]] = []
    for col in (Job.plan_name, Job.requested_by, Job.engine, Job.kind):
        values = [v for v in conn.execute(select(col).distinct()).scalars()
                  if v and needle in v.casefold()]
        if values:
            conds.append(col.in_(values))
    like = f"%{_escape_like(text)}%"
    # SQLite's LIKE ignores ASCII case by itself; ilike's lower() on every row costs a third more.
    match = (Job.error.like(like, escape="\\") if conn.dialect.name == "sqlite"
             else Job.error.ilike(like, escape="\\"))
    conds.append(Job.id.in_(select(Job.id).where(Job.error.is_not(None), match)))
    return or_(*conds)




# Columns whose index is (column, started_at, id): ties are ordered by start time.
_BY_START = {"plan", "engine", "kind", "trigger", "status"}


SORT_IN_MEMORY_BELOW = 50_000


def order_by(sort: HistorySort, *, by_index: bool = True) -> list[Any]:
    first: Any = SORT_COLUMNS[sort.column]
    if not by_index:
        first = literal_column(f"+{Job.__tablename__}.{first.key}")  # SQLite: skip the index
    cols = [first]
    if sort.column in _BY_START:
        cols.append(Job.started_at)
    if sort.column != "id":
        cols.append(Job.id)
    return [c.desc() if sort.descending else c.asc() for c in cols]




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
    with cat.engine.connect() as conn:
        where = where_clauses(flt, conn)
        by_index = not (cat.is_sqlite and _few_matches(flt, sort, where, conn))
        q = select(*ROW_COLUMNS).where(*where).order_by(*order_by(sort, by_index=by_index))
        return _to_rows(conn.execute(q.offset(offset).limit(limit)))


def _few_matches(flt: HistoryFilter, sort: HistorySort, where: list[ColumnElement[bool]],
                 conn: Connection) -> bool:
    """True when the filter keeps so few rows that sorting them beats walking the sort index.

    SQLite walks the sort column's index even when the filter keeps a handful of rows; this
    bounded count (cheap when many rows match) tells the two cases apart.
    """
    if flt == NO_FILTER or sort.column == "started":
        return False
    fixed = {"plan": flt.plans, "status": flt.statuses, "engine": flt.engines,
             "trigger": flt.triggers, "kind": flt.kinds}.get(sort.column, ())
    if len(fixed) == 1:
        return False  # (column, started_at, id) index: the filter's own order is the sort order
    matches: Any = select(literal_column("1")).select_from(Job).where(*where)
    bounded = select(func.count()).select_from(matches.limit(SORT_IN_MEMORY_BELOW + 1).subquery())
    return int(conn.execute(bounded).scalar_one()) <= SORT_IN_MEMORY_BELOW


def history_count(cat: Catalogue, flt: HistoryFilter = NO_FILTER) -> int:
    with cat.engine.connect() as conn:
        q = select(func.count()).select_from(Job).where(*where_clauses(flt, conn))
        return int(conn.execute(q).scalar_one())


def job_rows(cat: Catalogue, ids: list[int]) -> list[HistoryRow]:
    """Fresh rows for the given job ids (for live updates of running jobs)."""
    if not ids:
        return []
    with cat.engine.connect() as conn:
        rows = conn.execute(select(*ROW_COLUMNS).where(Job.id.in_(ids)))
        return _to_rows(rows)


def job_detail(cat: Catalogue, job_id: int) -> JobDetail | None:
    with cat.engine.connect() as conn:
        r = conn.execute(select(*ROW_COLUMNS).where(Job.id == job_id)).first()
        if r is None:
            return None
        log = conn.execute(select(JobLog.text).where(JobLog.job_id == job_id)).scalar() or ""
        host, details = conn.execute(select(Job.host, Job.details).where(Job.id == job_id)).one()
        backups = [
            {
                "id": b.id,
                "name": b.name,
                "type": b.type,
                "created_at": iso(b.created_at),
                "size": b.size,
                "files": b.files,
            }
            for b in conn.execute(
                select(Backup.id, Backup.name, Backup.type, Backup.created_at, Backup.size,
                       Backup.files).where(Backup.job_id == job_id).order_by(Backup.id)
            )
        ]
    return JobDetail(_to_rows([r])[0], log, host, details or {}, backups)


def distinct_values(cat: Catalogue) -> dict[str, list[str]]:
    """Values offered by the History filters: plan names (current and past), engines."""
    with cat.engine.connect() as conn:
        plans = set(conn.execute(select(Plan.name)).scalars())
        # Past plans' names: one cheap indexed skip-scan per name would be ideal; the distinct
        # over the (plan_name, started_at) index is fast enough in SQLite and PostgreSQL.
        plans.update(conn.execute(select(Job.plan_name).distinct()).scalars())
        engines = set(conn.execute(select(Job.engine).distinct()).scalars())
        engines.update(conn.execute(select(Plan.engine)).scalars())
    plans.discard("")
    return {"plans": sorted(plans), "engines": sorted(engines)}


def stats(cat: Catalogue, days: int = 30, now: datetime | None = None) -> Stats:
    since = (now or utcnow()) - timedelta(days=days)
    ok = JobStatus.SUCCESS.value
    bad = (JobStatus.FAILED.value, JobStatus.PARTIAL.value, JobStatus.INTERRUPTED.value)
    q = select(
        func.count(),
        func.coalesce(func.sum(case((Job.status == ok, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Job.status.in_(bad), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Job.kind == JobKind.BACKUP.value, Job.bytes), else_=0)), 0),
    ).where(Job.started_at >= since)
    with cat.engine.connect() as conn:
        n, good, failed, nbytes = conn.execute(q).one()
    return Stats(int(n), int(good), int(failed), int(nbytes or 0))


def banner(cat: Catalogue, now: datetime | None = None) -> Banner:
    """Did today's backup run? Computed per enabled plan from the catalogue."""
    midnight = local_midnight_utc(now)
    backup = JobKind.BACKUP.value
    with cat.engine.connect() as conn:
        plans = conn.execute(
            select(Plan.id, Plan.name).where(Plan.enabled.is_(True)).order_by(Plan.name)
        ).all()
        items: list[PlanToday] = []
        for pid, name in plans:
            last_ok = conn.execute(
                select(func.max(Job.finished_at)).where(
                    and_(Job.plan_id == pid, Job.kind == backup,
                         Job.status == JobStatus.SUCCESS.value)
                )
            ).scalar()
            last = conn.execute(
                select(Job.status, Job.error)
                .where(and_(Job.plan_id == pid, Job.kind == backup, Job.finished_at.is_not(None)))
                .order_by(Job.finished_at.desc())
                .limit(1)
            ).first()
            items.append(
                PlanToday(
                    name,
                    last_ok if last_ok is not None and last_ok >= midnight else None,
                    last[0] if last else None,
                    last[1] if last else None,
                )
            )
    return _with_overdue(cat, _banner_from(items), now)


def _with_overdue(cat: Catalogue, b: Banner, now: datetime | None) -> Banner:
    """Overdue plans (core.status) turn an ok banner into a warning and are named first."""
    from core.status import plan_statuses

    late = [p.plan for p in plan_statuses(cat, to_aware(now)) if p.overdue]
    if not late:
        return b
    text = f"Overdue: {', '.join(late)} missed a scheduled backup."
    not_today = {p.plan for p in b.plans if p.last_success is None}
    alone = b.level in ("ok", "none") or (b.level == "warning" and not_today <= set(late))
    return Banner("error" if b.level == "error" else "warning",
                  text if alone else f"{text} {b.text}", b.plans)


def _hhmm(dt: datetime) -> str:
    aware = to_aware(dt)
    assert aware is not None
    return aware.astimezone().strftime("%H:%M")


def _banner_from(items: list[PlanToday]) -> Banner:
    if not items:
        return Banner("none", "No backup plans yet: add one in Settings.", items)
    failing = [p for p in items if p.last_status in (JobStatus.FAILED.value,
                                                      JobStatus.INTERRUPTED.value)]
    if failing:
        names = ", ".join(p.plan for p in failing)
        return Banner("error", f"The last run of {names} failed.", items)
    missing = [p for p in items if p.last_success is None]
    if missing:
        names = ", ".join(p.plan for p in missing)
        return Banner("warning", f"No successful backup today yet for {names}.", items)
    latest = max(p.last_success for p in items if p.last_success is not None)
    return Banner("ok", f"Today's backup completed at {_hhmm(latest)}.", items)


def last_backup(cat: Catalogue) -> HistoryRow | None:
    """The most recent finished backup job of any plan."""
    q = (
        select(*ROW_COLUMNS)
        .where(Job.kind == JobKind.BACKUP.value, Job.finished_at.is_not(None))
        .order_by(Job.started_at.desc(), Job.id.desc())
        .limit(1)
    )
    with cat.engine.connect() as conn:
        r = conn.execute(q).first()
    return _to_rows([r])[0] if r else None


def change_token(cat: Catalogue) -> tuple[Any, ...]:
    """Cheap fingerprint of the job table: changes when a job is added, progresses or ends."""
    active = (JobStatus.RUNNING.value, JobStatus.QUEUED.value)
    with cat.engine.connect() as conn:
        top = conn.execute(select(func.max(Job.id))).scalar()
        running = conn.execute(
            select(Job.id, Job.status, Job.heartbeat_at, Job.bytes, Job.files)
            .where(Job.status.in_(active))
        ).all()
    return (top, tuple(sorted(tuple(r) for r in running)))
