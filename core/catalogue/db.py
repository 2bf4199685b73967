"""Opening a catalogue: engine, pragmas, file mode, migrations, crash recovery.

Every read and write goes through `Catalogue.db` (plain DB-API, core.catalogue.dbapi): a
catalogue file or a PostgreSQL catalogue (psycopg2) at the head revision is opened and used
without importing SQLAlchemy. SQLAlchemy runs the alembic migrations and creates the engine of
any other catalogue URL, whose raw connections `db` uses.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from core.catalogue import integrity
from core.catalogue.dbapi import Db, pg_conninfo, unreachable
from core.errors import CatalogueError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT = 5  # seconds, for a catalogue server that does not answer
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD_REVISION = "0007"


class Catalogue:
    """An open catalogue. Thread-safe: each unit of work takes its own session or connection.

    `db` reads and writes; `engine` creates the SQLAlchemy engine on first use (PostgreSQL,
    migrations).
    """

    def __init__(self, url: str, engine: Engine | None = None, *,
                 checked_file: Path | None = None) -> None:
        self._url = url
        # The catalogue file found whole on open; remembered as whole again on dispose
        # unless a read found it damaged meanwhile.
        self._checked_file = checked_file
        self._engine = engine
        self._lock = threading.Lock()
        self.db = Db(sqlite_file(url), lambda: self.engine,
                     pg_conninfo(url, CONNECT_TIMEOUT) if _has_psycopg2() else None)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = make_engine(self._url)
        return self._engine

    @property
    def url(self) -> str:
        return _hide_password(self._url)

    @property
    def secret_url(self) -> str:
        """The URL with its password: for a dump client's environment only, never shown."""
        return self._url

    @property
    def is_sqlite(self) -> bool:
        return self._url.startswith("sqlite")

    def dispose(self) -> None:
        self.db.dispose()
        if self._engine is not None:
            self._engine.dispose()
        if self._checked_file is not None:
            integrity.remember_whole(self._checked_file)
            self._checked_file = None

    def damage_in(self, e: BaseException) -> CatalogueError | None:
        """If `e` comes from a damaged catalogue file: the error to show (the file is
        remembered as damaged, so no later command writes to it); else None."""
        path = self.db.sqlite_file
        if path is None or _database_error(e) is None:
            return None
        problem = integrity.quick_check(path) if path.exists() else "the file is gone"
        if problem is None:
            return None
        self._checked_file = None
        integrity.mark_damaged(path, problem)
        return integrity.damaged(path, problem)


def _has_psycopg2() -> bool:
    import importlib.util

    return importlib.util.find_spec("psycopg2") is not None


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL (no driver, no query); else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = unquote(url[len(prefix):])
    return Path(path) if path and path != ":memory:" else None


def _parse(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except ArgumentError as e:
        raise CatalogueError(f"Not a valid catalogue URL: {url!r}.") from e


def _sqlite_path(url: str) -> Path | None:
    u = _parse(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _create_sqlite_file(path: Path) -> None:
    """A new, valid (non-empty) SQLite file, made aside and linked in: the final name never
    holds an empty file, which would read as a catalogue that lost everything."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # writes the header page
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first
    finally:
        tmp.unlink(missing_ok=True)


def _prepare_sqlite_file(path: Path) -> bool:
    """Make the folder and a new file if there is none; True when the file was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    if not existed:
        _create_sqlite_file(path)
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists() and (p.stat().st_mode & 0o077):
            p.chmod(0o600)
    return existed


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    parsed = _parse(url)
    if parsed.get_backend_name() == "postgresql" and _has_psycopg2():
        parsed = parsed.set(drivername="postgresql+psycopg2")  # one driver: the queries' own
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        # A lab's workstations share the server's connections (100 by default): one kept open
        # per process, a second while two threads need one at once.
        kwargs.update(pool_pre_ping=True, pool_size=1, max_overflow=1)
        if "connect_timeout" not in parsed.query:  # a hung server must not hang every command
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as e:
        raise CatalogueError(f"Cannot use catalogue {parsed!r}: {e}") from e
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            old_umask = os.umask(0o077)  # WAL and SHM files are created 0600 too
            try:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
            finally:
                os.umask(old_umask)

    return engine


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations in place (never recreate)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _file_revision(cat: Catalogue) -> str | None:
    """The schema revision of a catalogue file, in one query (None: a new, empty file)."""
    try:
        with cat.db.connect() as c:
            return c.scalar("SELECT version_num FROM alembic_version")  # type: ignore[no-any-return]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return None
        raise
    except Exception as e:
        if type(e).__name__ == "UndefinedTable":  # a new, empty PostgreSQL database
            return None
        raise


def active_job_exists(cat: Catalogue) -> bool:
    """Whether any job is queued or running (in any process)."""
    with cat.db.connect() as c:
        found = c.first("SELECT id FROM jobs WHERE status IN ('queued', 'running') LIMIT 1")
    return found is not None


def _database_error(e: BaseException) -> str | None:
    """The database's own message, if `e` is an error reported by the database."""
    if isinstance(e, sqlite3.Error):
        return str(e)
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DBAPIError

        if isinstance(e, DBAPIError):
            return str(e.orig)
    return None


def open_catalogue(url: str, *, migrate: bool = True, recover: bool = True) -> Catalogue:
    """Open (creating and upgrading if needed) the catalogue at `url`."""
    path = sqlite_file(url)
    if path is None and url.startswith("sqlite"):
        path = _sqlite_path(url)
    if path is not None:
        try:
            existed = _prepare_sqlite_file(path)
        except (OSError, sqlite3.Error) as e:
            raise CatalogueError(f"Cannot create catalogue file {path}: "
                                 f"{getattr(e, 'strerror', None) or e}.") from e
        if existed:
            integrity.check_file(path)
    cat = Catalogue(url, checked_file=path)
    try:
        if migrate:
            plain = cat.db.sqlite_file is not None or cat.db.direct
            if (_file_revision(cat) if plain else current_revision(cat.engine)) != HEAD_REVISION:
                log.info("upgrading catalogue %s", cat.url)
                upgrade(cat.engine)
        if recover and active_job_exists(cat):
            from core.catalogue.jobs import recover_interrupted

            recover_interrupted(cat)
    except Exception as e:
        damage = cat.damage_in(e)
        reason = _database_error(e)
        lost = unreachable(e)
        cat.dispose()
        if damage is not None:
            raise damage from e
        if lost is not None:
            if lost is e:
                raise
            raise lost from e
        if reason is None:
            raise
        raise CatalogueError(f"Cannot open catalogue {cat.url}: {reason}") from e
    return cat
