"""A writer process for the SQLite dump tests: commits a row every 20 ms (mode `wal` or
`delete`), or holds the write lock (`hold`); writes READY after its first commit and stops
when STOP exists (or after 120 s)."""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

db, mode, ready, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
conn = sqlite3.connect(db, timeout=30, isolation_level=None)
if mode == "hold":
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO t (v) VALUES (?)", (os.urandom(1024),))
    ready.write_text("locked")
    end = time.monotonic() + 120
    while not stop.exists() and time.monotonic() < end:
        time.sleep(0.02)
    conn.execute("ROLLBACK")
    sys.exit(0)
conn.execute(f"PRAGMA journal_mode={mode}")
n = 0
end = time.monotonic() + 120
while not stop.exists() and time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t (v) VALUES (?)", (os.urandom(1024),))
    conn.execute("UPDATE t SET v = ? WHERE id = ?", (os.urandom(1024), 1 + n % 1000))
    conn.execute("COMMIT")
    n += 1
    if n == 1:
        ready.write_text("writing")
    time.sleep(0.02)
Path(str(ready) + ".commits").write_text(str(n))
