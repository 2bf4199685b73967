"""Plain SQL over the DB-API: the catalogue's one data layer, for reads and writes.

A catalogue file is used through the standard library's sqlite3, a PostgreSQL catalogue through
psycopg2 (SQLAlchemy is loaded for neither; psycopg2 loads in a fifth of psycopg 3's time, which
only the migrations use, through SQLAlchemy); any other URL through a raw connection from the
catalogue's SQLAlchemy engine. Statements use `?` placeholders; datetimes are naive UTC,
stored in SQLite as text in SQLAlchemy's format (the migrations create the tables); JSON
columns are passed as dicts and lists and stored as JSON text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from core.errors import CatalogueError
from core.timeutil import to_naive_utc, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine

# SQLAlchemy's storage format for DateTime in SQLite; text comparisons rely on it.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_POOL_SIZE = 4
READER_CACHE_KIB = 512


def placeholders(n: int) -> str:
    """`?, ?, ?` for an IN list of n values."""
    return ", ".join("?" * n)


# Values per IN list: well below SQLite's limit of variables per statement (32,766).
IN_CHUNK = 5000


def in_chunks(values: Sequence[Any]) -> Iterator[list[Any]]:
    """`values` in parts small enough for one IN list each."""
    for i in range(0, len(values), IN_CHUNK):
        yield list(values[i:i + IN_CHUNK])


def to_datetime(value: Any) -> datetime | None:
    """A stored datetime as naive UTC (SQLite gives text, other drivers datetimes)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


class Conflict(Exception):
    """A write broke a unique (or other integrity) constraint; the database's message."""


def _is_integrity_error(e: BaseException) -> bool:
    # Every DB-API driver names it so (sqlite3, psycopg's UniqueViolation derives from it).
    return any(c.__name__ == "IntegrityError" for c in type(e).__mro__)


# A database server that does not answer: tries to connect, and the pause before each retry.
CONNECT_TRIES = 3
RETRY_PAUSE = 0.5


class Unreachable(CatalogueError):
    """The catalogue's server cannot be reached (down, restarting, hung, network)."""


def unreachable(e: BaseException) -> Unreachable | None:
    """`e` as "catalogue unreachable: ..." (one line) if it is a lost or refused connection to a
    database server (a DB-API OperationalError, bare or wrapped by SQLAlchemy); else None."""
    if isinstance(e, Unreachable):
        return e
    if not any(c.__name__ == "OperationalError" for c in type(e).__mro__):
        return None
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return Unreachable(f"catalogue unreachable: {text[0] if text else type(e).__name__}")


def to_json(value: Any) -> Any:
    """A JSON column's value (SQLite gives text, psycopg the decoded value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


PG_NOW = "now() AT TIME ZONE 'UTC'"  # naive UTC, as the catalogue stores times


class Conn:
    """One DB-API connection for the length of a `with Db.connect()` block."""

    def __init__(self, raw: Any, *, sqlite: bool, qmark: bool) -> None:
        self.raw = raw
        self.sqlite = sqlite
        self._qmark = qmark

    def _sql(self, sql: str) -> str:
        return sql if self._qmark else sql.replace("?", "%s")

    def _args(self, params: Sequence[Any]) -> list[Any]:
        out = []
        for p in params:
            if isinstance(p, datetime):
                p = to_naive_utc(p)
                if self.sqlite:
                    p = p.strftime(SQLITE_DATETIME)
            elif isinstance(p, dict | list):
                p = json.dumps(p)
            out.append(p)
        return out

    @contextmanager
    def _cursor(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        cur = self.raw.cursor()
        try:
            try:
                cur.execute(self._sql(sql), self._args(params))
            except Exception as e:
                if _is_integrity_error(e):
                    raise Conflict(str(e)) from e
                raise
            yield cur
        finally:
            cur.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """A write; the number of rows it changed."""
        with self._cursor(sql, params) as cur:
            return int(cur.rowcount)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT into a table with an `id` key; the new row's id."""
        if self.sqlite:
            with self._cursor(sql, params) as cur:
                return int(cur.lastrowid)
        with self._cursor(sql + " RETURNING id", params) as cur:
            return int(cur.fetchone()[0])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor(sql, params) as cur:
            return [tuple(r) for r in cur.fetchall()]

    def first(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._cursor(sql, params) as cur:
            r = cur.fetchone()
        return tuple(r) if r is not None else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        r = self.first(sql, params)
        return r[0] if r else None

    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return [r[0] for r in self.rows(sql, params)]

    def now(self) -> datetime:
        """The database server's time (naive UTC): the one clock every host compares against.
        A catalogue file is used by one host only, so its clock is this process's."""
        if self.sqlite:
            return utcnow()
        return to_datetime(self.scalar(f"SELECT {PG_NOW}")) or utcnow()

    def clock(self) -> tuple[str, list[Any]]:
        """`now()` as an SQL expression and its parameters, to use inside a statement: the
        server's clock without a query of its own on PostgreSQL."""
        if self.sqlite:
            return "?", [utcnow()]
        return f"({PG_NOW})", []


class Db:
    """DB-API access to a catalogue: a small pool of sqlite3 connections for a catalogue file,
    else raw connections of the SQLAlchemy engine that `engine()` gives."""

    def __init__(self, sqlite_file: Path | None, engine: Callable[[], Engine],
                 pg_conninfo: str | None = None) -> None:
        self.sqlite_file = sqlite_file
        self._engine = engine
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pg = _PgPool(pg_conninfo) if pg_conninfo is not None else None

    def _open_sqlite(self) -> sqlite3.Connection:
        assert self.sqlite_file is not None
        old_umask = os.umask(0o077)  # a WAL or SHM file created by a reader is 0600 too
        try:
            # mode=rw: a catalogue file that vanished (an unmounted share) is an error, not a
            # new empty database
            uri = f"file:{quote(str(self.sqlite_file))}?mode=rw"
            raw = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False,
                                  isolation_level=None)
            raw.execute("PRAGMA busy_timeout=30000")
            raw.execute("PRAGMA foreign_keys=ON")  # a removed plan's rows cascade
            raw.execute("PRAGMA synchronous=NORMAL")
            # Pooled readers each keep a page cache (2 MiB by default) for the life of the app;
            # the OS caches the file anyway, and the history's reads are index walks.
            raw.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")
        finally:
            os.umask(old_umask)
        return raw

    @contextmanager
    def connect(self) -> Iterator[Conn]:
        """A connection; statements run in autocommit (SQLite) or one transaction committed at
        the end of the block (other databases)."""
        if self._pg is not None:
            with self._pg.connect() as c:
                yield c
            return
        if self.sqlite_file is None:
            with self._engine_conn() as c:
                yield c
            return
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        if raw is None:
            raw = self._open_sqlite()
        try:
            yield Conn(raw, sqlite=True, qmark=True)
        except BaseException:
            raw.close()  # its state is unknown (an interrupted statement): do not reuse it
            raise
        with self._lock:
            if len(self._idle) < _POOL_SIZE:
                self._idle.append(raw)
                raw = None
        if raw is not None:
            raw.close()

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """A connection whose statements commit together at the end of the block, or not at
        all (SQLite: one immediate transaction, so a concurrent writer waits its turn)."""
        with self.connect() as c:
            if not c.sqlite or self.sqlite_file is None:
                yield c  # other databases: connect() is one transaction already
                return
            c.raw.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.raw.execute("ROLLBACK")
                raise
            c.raw.execute("COMMIT")

    @contextmanager
    def _engine_conn(self) -> Iterator[Conn]:
        engine = self._engine()
        sqlite = engine.dialect.name == "sqlite"
        raw = engine.raw_connection() if sqlite else _connect(engine.raw_connection)
        try:
            # a lost connection is invalidated: never back to the engine's pool
            with _committed(raw, drop=raw.invalidate, server=not sqlite):
                yield Conn(raw, sqlite=sqlite, qmark=engine.dialect.paramstyle == "qmark")
        finally:
            raw.close()  # back to the engine's pool

    @property
    def direct(self) -> bool:
        """Whether a server's catalogue is used through its driver alone (no SQLAlchemy)."""
        return self._pg is not None

    def dispose(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()
        if self._pg is not None:
            self._pg.dispose()


@contextmanager
def _committed(raw: Any, drop: Callable[[], object], server: bool) -> Iterator[None]:
    """Commit `raw` at the end of the block, or roll it back on an error; on a server, an
    error that means the connection is gone drops it with `drop` and is raised as Unreachable."""
    try:
        yield
        raw.commit()
    except BaseException as e:
        lost = unreachable(e) if server else None
        if lost is None:
            raw.rollback()
            raise
        drop()
        if lost is e:
            raise
        raise lost from e


def _connect(open_: Callable[[], Any]) -> Any:
    """A connection to a database server from `open_`, tried CONNECT_TRIES times (a server
    that is restarting answers again within a second or two); Unreachable if it never answers."""
    for attempt in range(CONNECT_TRIES):
        try:
            return open_()
        except Exception as e:
            lost = unreachable(e)
            if lost is None:
                raise
            if attempt == CONNECT_TRIES - 1:
                raise lost from e
            time.sleep(RETRY_PAUSE * 2 ** attempt)
    raise AssertionError("unreachable")


# Connections a process holds to a catalogue server: one kept while idle, a second while two
# threads need one at once (a lab's workstations share the server's 100 by default).
PG_KEEP = 1
PG_MAX = 2
PG_WAIT = 30.0  # seconds a third thread waits for one of them


def pg_conninfo(url: str, connect_timeout: int) -> str | None:
    """The libpq connection string of a `postgresql://` or `postgresql+psycopg://` URL, used
    through psycopg2 directly (no SQLAlchemy: half a second less per command); None for any
    other URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgresql+psycopg", "postgres"):
        return None
    keys: dict[str, Any] = {"connect_timeout": connect_timeout}
    keys.update((k, v) for k, v in parse_qsl(parts.query))
    if parts.hostname:
        keys["host"] = unquote(parts.hostname)
    if parts.port:
        keys["port"] = parts.port
    if parts.username:
        keys["user"] = unquote(parts.username)
    if parts.password is not None:
        keys["password"] = unquote(parts.password)
    if parts.path.strip("/"):
        keys["dbname"] = unquote(parts.path.strip("/"))
    return " ".join(f"{k}='{_quoted(str(v))}'" for k, v in keys.items())


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class _PgPool:
    """psycopg2 connections to a PostgreSQL catalogue: at most PG_MAX, PG_KEEP kept idle."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(PG_MAX)

    def _open(self) -> Any:
        import psycopg2  # only for a PostgreSQL catalogue

        return _connect(lambda: psycopg2.connect(self._conninfo))

    def _checkout(self) -> Any:
        with self._lock:
            raw = self._idle.pop() if self._idle else None
        if raw is not None:
            try:  # a server restarted since: a new connection instead
                with raw.cursor() as cur:
                    cur.execute("SELECT 1")
                raw.rollback()
                return raw
            except Exception:
                raw.close()
        return self._open()

    @contextmanager
    def connect(self) -> Iterator[Conn]:
        if not self._slots.acquire(timeout=PG_WAIT):
            raise Unreachable("catalogue unreachable: no free connection after "
                              f"{PG_WAIT:.0f} s")
        try:
            raw = self._checkout()
            try:
                with _committed(raw, drop=raw.close, server=True):
                    yield Conn(raw, sqlite=False, qmark=False)
            finally:
                self._release(raw)  # a closed (lost) connection is not kept
        finally:
            self._slots.release()

    def _release(self, raw: Any) -> None:
        with self._lock:
            if len(self._idle) < PG_KEEP and not raw.closed:
                self._idle.append(raw)
                return
        raw.close()

    def dispose(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()
