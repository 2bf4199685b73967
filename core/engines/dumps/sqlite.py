"""SQLite: a consistent copy through the online backup API, even while the database is in use.

The copy is one backup step (`pages=-1`): it holds one read transaction for the time it takes
to copy the file (about a second for 120 MB), so a writer committing between steps can never
restart it. While another connection holds a write lock the step is retried, checking the
cancel token, until `LOCK_WAIT` seconds have passed; then the job fails with that reason.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from core.engines.dumps.urls import DbUrl
from core.errors import CancelledError, EngineError
from core.progress import CancelToken

LOCK_WAIT = 120.0  # seconds the database may stay write-locked before the dump gives up
RETRY_EVERY = 0.05  # seconds between attempts while it is locked


class _GaveUp(Exception):
    pass


def _connect(db: DbUrl) -> sqlite3.Connection:
    if not Path(db.database).is_file():
        raise EngineError(f"The {db.label} does not exist.")
    try:
        return sqlite3.connect(f"file:{quote(db.database)}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise EngineError(f"Cannot open the {db.label}: {e}.") from e


def dump(db: DbUrl, out: Path, cancel: CancelToken | None = None,
         lock_wait: float = LOCK_WAIT) -> None:
    token = cancel or CancelToken()
    deadline = time.monotonic() + lock_wait

    def after_step(status: int, remaining: int, total: int) -> None:
        token.raise_if_cancelled()
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
                and time.monotonic() > deadline:
            raise _GaveUp

    src = _connect(db)
    try:
        dst = sqlite3.connect(out)
        try:
            # A new file under a temporary name: no journal, no syncs of its own (core.engines.
            # dumps.ops syncs it once whole, before it takes the final name).
            dst.execute("PRAGMA journal_mode=OFF")
            dst.execute("PRAGMA synchronous=OFF")
            src.backup(dst, pages=-1, progress=after_step, sleep=RETRY_EVERY)
        finally:
            dst.close()
    except _GaveUp:
        raise EngineError(f"No consistent copy of the {db.label}: another program kept it "
                          f"locked for writing for {lock_wait:g} s.") from None
    except CancelledError:
        raise
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
