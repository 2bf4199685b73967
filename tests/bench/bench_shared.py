"""A shared PostgreSQL catalogue against a SQLite one, whole `backupdesk` processes, same run.

    python -m tests.bench.bench_shared [--runs 9] [--jobs 2000] [--idle 12]

1. `backupdesk history --limit 50 --json`: wall time of the whole process, median of N runs
   alternating SQLite / PostgreSQL (target: PostgreSQL <= 1.5x SQLite).
2. The idle window (`backupdesk gui`, offscreen): VmRSS after --idle seconds, and the
   connections it holds to PostgreSQL, median of alternating runs (target: <= 1.15x SQLite).

A PostgreSQL server is started on 127.0.0.1 for the run (Debian's binaries, as the tests do);
both catalogues hold the same --jobs finished jobs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fixtures.servers import PgCluster

REPO = Path(__file__).resolve().parents[2]


def seed(url: str, jobs: int) -> None:
    from core.catalogue import open_catalogue
    from core.catalogue.jobs import finish_job, start_job

    cat = open_catalogue(url)
    try:
        for i in range(jobs):
            jid = start_job(cat, engine="archive", kind="backup", plan_name=f"plan{i % 7}")
            finish_job(cat, jid, "success" if i % 11 else "failed", bytes=i * 1000, files=i,
                       error=None if i % 11 else "disk full")
    finally:
        cat.dispose()


def cli(home: Path, url: str | None, *args: str) -> list[str]:
    return [sys.executable, "-m", "core.cli.main", "--home", str(home),
            *(["--catalogue", url] if url else []), *args]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - t


def pg_connections(url: str) -> int:
    import psycopg

    rest = url.split("://", 1)[1]
    user, hostport = rest.split("@", 1)[0], rest.split("@", 1)[1].split("/", 1)[0]
    host, port = hostport.split(":")
    with psycopg.connect(host=host, port=int(port), user=user, dbname="postgres",
                         autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres'"
                           " AND pid <> pg_backend_pid()").fetchone()
    return int(row[0]) if row else -1


def idle_window(home: Path, url: str | None, env: dict[str, str], idle: float
                ) -> tuple[float, int]:
    """The window's VmRSS (MiB) after `idle` seconds, and its PostgreSQL connections."""
    proc = subprocess.Popen(cli(home, url, "gui"), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(idle)
        assert proc.poll() is None, "the window ended early"
        with open(f"/proc/{proc.pid}/status") as f:
            rss = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
        conns = pg_connections(url) if url else 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    return rss / 1024, conns


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--jobs", type=int, default=2000)
    p.add_argument("--idle", type=float, default=12.0)
    a = p.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bd-bench-shared-"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    env.pop("BACKUPDESK_HOME", None)
    env.pop("BACKUPDESK_CATALOGUE", None)
    cluster = PgCluster.create("bd-bench-pg-", fast=False)
    url = cluster.url()
    try:
        home_sq, home_pg = base / "home-sqlite", base / "home-pg"
        subprocess.run(cli(home_sq, None, "history"), env=env, check=True, capture_output=True)
        seed(f"sqlite:///{home_sq / 'data' / 'catalogue.sqlite3'}", a.jobs)
        seed(url, a.jobs)
        hist = ("history", "--limit", "50", "--json")
        for _ in range(2):  # warm caches
            wall(cli(home_sq, None, *hist), env)
            wall(cli(home_pg, url, *hist), env)
        sq, pg = [], []
        for _ in range(a.runs):
            sq.append(wall(cli(home_sq, None, *hist), env))
            pg.append(wall(cli(home_pg, url, *hist), env))
        s, g = statistics.median(sq) * 1000, statistics.median(pg) * 1000
        print(f"history --limit 50 --json, median of {a.runs} alternating runs: SQLite {s:.0f} ms,"
              f" PostgreSQL {g:.0f} ms, ratio {g / s:.2f} (target <= 1.5)")
        runs = max(3, a.runs // 3)
        sq_rss, pg_rss, conns = [], [], []
        for _ in range(runs):
            sq_rss.append(idle_window(home_sq, None, env, a.idle)[0])
            r, c = idle_window(home_pg, url, env, a.idle)
            pg_rss.append(r)
            conns.append(c)
        s, g = statistics.median(sq_rss), statistics.median(pg_rss)
        print(f"idle window VmRSS after {a.idle:.0f} s, median of {runs}: SQLite {s:.1f} MiB,"
              f" PostgreSQL {g:.1f} MiB, ratio {g / s:.3f} (target <= 1.15);"
              f" PostgreSQL connections held: {conns}")
    finally:
        cluster.remove()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
