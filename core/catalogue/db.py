"""Opening a catalogue: engine, pragmas, file mode, migrations, crash recovery."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import CatalogueError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD_REVISION = "0002"


class Catalogue:
    """An open catalogue. Thread-safe: each unit of work takes its own session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self._sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as e:
        raise CatalogueError(f"Not a valid catalogue URL: {url!r}.") from e


def _sqlite_path(url: str) -> Path | None:
    u = _parse(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _prepare_sqlite_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists() and (p.stat().st_mode & 0o077):
            p.chmod(0o600)


def make_engine(url: str) -> Engine:
    parsed = _parse(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
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


def open_catalogue(url: str, *, migrate: bool = True, recover: bool = True) -> Catalogue:
    """Open (creating and upgrading if needed) the catalogue at `url`."""
    sqlite_path = _sqlite_path(url)
    if sqlite_path is not None:
        try:
            _prepare_sqlite_file(sqlite_path)
        except OSError as e:
            raise CatalogueError(
                f"Cannot create catalogue file {sqlite_path}: {e.strerror}.") from e
    engine = make_engine(url)
    try:
        if migrate and current_revision(engine) != HEAD_REVISION:
            log.info("upgrading catalogue %s", engine.url.render_as_string(hide_password=True))
            upgrade(engine)
    except (OperationalError, DatabaseError) as e:
        engine.dispose()
        raise CatalogueError(f"Cannot open catalogue {_parse(url)!r}: {e.orig}") from e
    cat = Catalogue(engine)
    if recover:
        from core.catalogue.jobs import recover_interrupted

        recover_interrupted(cat)
    return cat
