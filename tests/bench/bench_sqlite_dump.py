"""On demand (never in CI): how long a SQLite dump takes on a 120 MB database while a writer
commits every 20 ms (WAL), as `backupdesk run` of a databases-only plan, against a plain
`cp` of the same file in the same run (alternating, median of 5).

    .venv/bin/python tests/bench/bench_sqlite_dump.py
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITER = Path(__file__).resolve().parents[1] / "core" / "dumps" / "sqlite_writer.py"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sqlite-"))
    db = tmp / "app.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    conn.executemany("INSERT INTO t (v) VALUES (?)",
                     ((os.urandom(1024),) for _ in range(110_000)))
    conn.commit()
    conn.close()
    print(f"database: {db.stat().st_size / 1e6:.0f} MB")
    home, dest = tmp / "home", tmp / "dest"
    exe = [sys.executable, "-m", "core.cli.main", "--home", str(home)]
    subprocess.run([*exe, "plan", "add", "db", "--engine", "archive", "--include", "databases",
                    "--database", f"sqlite://{db}", "--dest", str(dest), "--no-verify"],
                   check=True, capture_output=True)
    ready, stop = tmp / "ready", tmp / "stop"
    writer = subprocess.Popen([sys.executable, str(WRITER), str(db), "wal", str(ready),
                               str(stop)])
    while not ready.exists():
        time.sleep(0.05)
    runs: list[float] = []
    copies: list[float] = []
    try:
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(["cp", str(db), str(tmp / "plain-copy")], check=True)
            copies.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([*exe, "run", "db", "--full"], check=True, capture_output=True)
            runs.append(time.perf_counter() - t0)
    finally:
        stop.touch()
        writer.wait()
    run, cp = statistics.median(runs), statistics.median(copies)
    print(f"backupdesk run (dump + zstd + placement): median {run:.2f} s; cp: {cp:.2f} s; "
          f"ratio {run / cp:.1f}x")


if __name__ == "__main__":
    main()
