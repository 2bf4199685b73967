"""A copy of a SQLite catalogue made to stand alone."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def make_standalone(path: Path) -> None:
    """Out of WAL mode, so that opening the copy (from a read-only disk too) needs no -wal and
    -shm files beside it. `path` is a scratch copy: not synced (its final copy is)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as c:
        c.execute("PRAGMA synchronous=OFF")
        c.execute("PRAGMA journal_mode=DELETE")
