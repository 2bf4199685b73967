"""Plain SQL over the DB-API, for the reads an idle window makes, without loading SQLAlchemy.

A catalogue file is read through the standard library's sqlite3; any other catalogue
(PostgreSQL) through a raw connection from the catalogue's SQLAlchemy engine. Statements use
`?` placeholders; datetimes are naive UTC, stored by SQLAlchemy in SQLite as text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.timeutil import to_naive_utc

if TYPE_CHECKING:
    from sqlalchemy import Engine

# SQLAlchemy's storage format for DateTime in SQLite; text comparisons rely on it.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_POOL_SIZE = 4
READER_CACHE_KIB = 512


def placeholders(n: int) -> str:
    """`?, ?, ?` for an IN list of n values."""
    return ", ".join("?" * n)


def to_datetime(value: Any) -> datetime | None:
    """A stored datetime as naive UTC (SQLite gives text, other drivers datetimes)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def to_json(value: Any) -> Any:
    """A JSON column's value (SQLite gives text, psycopg the decoded value)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


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
            out.append(p)
        return out

    @contextmanager
    def _cursor(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        cur = self.raw.cursor()
        try:
            cur.execute(self._sql(sql), self._args(params))
            yield cur
        finally:
            cur.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """A write; the number of rows it changed."""
        with self._cursor(sql, params) as cur:
            return int(cur.rowcount)

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


class Db:
    """DB-API access to a catalogue: a small pool of sqlite3 connections for a catalogue file,
    else raw connections of the SQLAlchemy engine that `engine()` gives."""

    def __init__(self, sqlite_file: Path | None, engine: Callable[[], Engine]) -> None:
        self.sqlite_file = sqlite_file
        self._engine = engine
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

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
    def _engine_conn(self) -> Iterator[Conn]:
        engine = self._engine()
        raw = engine.raw_connection()
        try:
            conn = Conn(raw, sqlite=engine.dialect.name == "sqlite",
                        qmark=engine.dialect.paramstyle == "qmark")
            try:
                yield conn
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        finally:
            raw.close()  # back to the engine's pool

    def dispose(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()
