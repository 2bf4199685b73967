"""Dump and load a database: `dump` writes one database to a final path atomically; `load`
restores a dump into a database. Passwords reach the clients through the environment
(PGPASSWORD) or a 0600 option file.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.destinations import fsync_dir, os_error, tmp_name
from core.engines.dumps import mysql, postgres, sqlite
from core.engines.dumps.urls import DbUrl, parse, redact
from core.errors import UsageError
from core.progress import CancelToken

__all__ = ["DbUrl", "dump", "load", "parse", "redact", "test_connection"]


def dump(db: DbUrl, final: Path, cancel: CancelToken, *, durable: bool = True) -> None:
    """Dump `db` to `final` via a temporary name; nothing is left under `final` on failure.
    `durable=False` for a scratch file that is copied elsewhere (and synced there): no fsync."""
    tmp = tmp_name(final)
    try:
        if db.kind == "sqlite":
            sqlite.dump(db, tmp, cancel)
        elif db.kind == "postgresql":
            postgres.dump(db, tmp, cancel)
        else:
            mysql.dump(db, tmp, cancel)
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        tmp.replace(final)
    except OSError as e:
        _unlink(tmp)
        raise os_error(e, final.parent) from e
    except BaseException:
        _unlink(tmp)
        raise
    if durable:
        fsync_dir(final.parent)


def load(db: DbUrl, dump_file: Path, cancel: CancelToken) -> None:
    """Load a dump made by `dump` into the (existing) database `db`."""
    if db.kind == "postgresql":
        postgres.load(db, dump_file, cancel)
    elif db.kind == "mysql":
        mysql.load(db, dump_file, cancel)
    else:
        raise UsageError("Only PostgreSQL and MySQL/MariaDB dumps can be loaded into a database; "
                         "a SQLite dump is restored as a file.")


def test_connection(db: DbUrl, cancel: CancelToken | None = None) -> str:
    """Raise a BackupDeskError with a clear sentence if `db` cannot be dumped; else describe it."""
    token = cancel or CancelToken()
    if db.kind == "sqlite":
        sqlite.check(db)
    elif db.kind == "postgresql":
        postgres.check(db, token)
    else:
        mysql.check(db, token)
    return f"Connected to the {db.label}."


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass
