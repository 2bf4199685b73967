"""SQLite: a consistent copy through the online backup API, even while the database is in use."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from core.engines.dumps.urls import DbUrl
from core.errors import EngineError


def _connect(db: DbUrl) -> sqlite3.Connection:
    if not Path(db.database).is_file():
        raise EngineError(f"The {db.label} does not exist.")
    try:
        return sqlite3.connect(f"file:{quote(db.database)}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise EngineError(f"Cannot open the {db.label}: {e}.") from e


def dump(db: DbUrl, out: Path) -> None:
    src = _connect(db)
    try:
        dst = sqlite3.connect(out)
        try:
            src.backup(dst, pages=4096)
        finally:
            dst.close()
    except sqlite3.Error as e:
        raise EngineError(f"Backing up the {db.label} failed: {e}.") from e
    finally:
        src.close()


def check(db: DbUrl) -> None:
    conn = _connect(db)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise EngineError(f"The {db.label} cannot be read: {e}.") from e
    finally:
        conn.close()
