"""The watchdog over 200 plans and 1,000,000 jobs, and the anomaly checks per finished backup.

    python -m tests.bench.bench_watch [--jobs 1000000] [--runs 9]

Seeds (once, cached under BENCH_DIR) a SQLite catalogue of 200 plans: 120 with a daily backup
schedule (and a weekly verify for 40 of them), 40 with `--expect daily`, 40 with neither whose
cadence is learned from their backups' times (every 6 hours); the jobs spread over all plans
(success, partial, failed; backups and verifies), each backup job with its backup row, five
jobs running.

Figures:
- `evaluate`: core.watch.state.evaluate(cat, now) in one process, median of `runs` after one
  warm-up (the issue's target: <= 100 ms);
- the whole processes, alternating: `backupdesk status --json` against the baseline
  `backupdesk plan list --json` (same start-up and catalogue, no watchdog);
- the anomaly finisher: core.watch.anomaly.check_job on a backup job of a plan with 5,000 jobs
  of history, median of 200 calls (target <= 5 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench.common import BENCH_DIR, median_ms, timed

PLANS = 200
FMT = "%Y-%m-%d %H:%M:%S.%f"


def _t(d: datetime) -> str:
    return d.strftime(FMT)


def seed(home: Path, n_jobs: int) -> None:
    from core.catalogue import open_catalogue
    from core.config import AppConfig

    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    open_catalogue(cfg.catalogue_url).dispose()
    rnd = random.Random(18)
    now = datetime.now(UTC).replace(tzinfo=None)
    born = now - timedelta(days=400)
    db = sqlite3.connect(cfg.paths.data_dir / "catalogue.sqlite3")
    with db:
        for i in range(PLANS):
            opts = {"compression": "zstd:3"}
            if 120 <= i < 160:
                opts["expect"] = "daily"
            db.execute("INSERT INTO plans (id, name, engine, enabled, sources, excludes, options,"
                       " created_at, updated_at) VALUES (?, ?, ?, 1, '[]', '[]', ?, ?, ?)",
                       [i + 1, f"plan-{i:03d}", "archive" if i % 2 else "borg",
                        json.dumps(opts), _t(born), _t(born)])
            if i < 120:
                db.execute("INSERT INTO schedules (plan_id, kind, expression, timezone,"
                           " missed_policy, enabled) VALUES (?, 'backup', ?, ?, 'catch_up', 1)",
                           [i + 1, f"{i % 60} {i % 24} * * *",
                            ["UTC", "Europe/Rome", "America/New_York"][i % 3]])
            if i < 40:
                db.execute("INSERT INTO schedules (plan_id, kind, expression, timezone,"
                           " missed_policy, enabled) VALUES (?, 'verify', '0 4 * * 0', 'UTC',"
                           " 'catch_up', 1)", [i + 1])
        per_plan = n_jobs // PLANS
        span = timedelta(days=365).total_seconds()
        rows: list[tuple[object, ...]] = []
        backups: list[tuple[object, ...]] = []
        jid = 0
        for i in range(PLANS):
            for k in range(per_plan):
                jid += 1
                started = now - timedelta(seconds=span * (1 - k / per_plan))
                dur = rnd.randint(60_000, 1_800_000)
                r = rnd.random()
                status = "success" if r < 0.9 else "failed" if r < 0.96 else "partial"
                kind = "verify" if k % 10 == 0 else "backup"
                if i >= 160:  # an external repository's archives, every 6 hours
                    started = now - timedelta(hours=6 * (per_plan - k), minutes=rnd.randint(0, 20))
                rows.append((jid, i + 1, f"plan-{i:03d}", "archive", kind, "scheduled", status,
                             "scheduler", "h", _t(started), _t(started),
                             _t(started + timedelta(milliseconds=dur)), _t(started), dur,
                             rnd.randint(10**6, 10**10), rnd.randint(10, 100_000), "{}"))
                if kind == "backup" and status != "failed":  # its backup
                    backups.append((i + 1, f"plan-{i:03d}", jid, f"b{jid}", _t(started),
                                    rnd.randint(10**6, 10**10), rnd.randint(10, 100_000)))
                if len(rows) >= 50_000:
                    _jobs(db, rows, backups)
            if i < 5:  # a running job on the first plans
                jid += 1
                rows.append((jid, i + 1, f"plan-{i:03d}", "archive", "backup", "scheduled",
                             "running", "scheduler", "h", _t(now - timedelta(hours=2)),
                             _t(now - timedelta(hours=2)), None, _t(now), None, None, None,
                             "{}"))
        _jobs(db, rows, backups)
    db.execute("ANALYZE")
    db.close()


def _jobs(db: sqlite3.Connection, rows: list[tuple[object, ...]],
          backups: list[tuple[object, ...]]) -> None:
    db.executemany("INSERT INTO jobs (id, plan_id, plan_name, engine, kind, trigger, status,"
                   " requested_by, host, created_at, started_at, finished_at, heartbeat_at,"
                   " duration_ms, bytes, files, details) VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO job_logs (job_id, text) VALUES (?, '')", [(r[0],) for r in rows])
    db.executemany("INSERT INTO backups (plan_id, plan_name, job_id, engine, type, name,"
                   " created_at, original_size, files, details) VALUES"
                   " (?, ?, ?, 'archive', 'full', ?, ?, ?, ?, '{}')", backups)
    rows.clear()
    backups.clear()


def watch_home(n_jobs: int) -> Path:
    home = BENCH_DIR / f"watch-{n_jobs}"
    marker = home / "seeded"
    if not marker.exists():
        import shutil

        shutil.rmtree(home, ignore_errors=True)
        t = time.perf_counter()
        seed(home, n_jobs)
        marker.write_text("ok")
        print(f"(seeded {n_jobs:,} jobs in {time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return home


def bench_evaluate(home: Path, runs: int) -> None:
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from core.watch.state import evaluate

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    now = datetime.now(UTC)
    states = statistics.multimode([w.state for w in evaluate(cat, now)])
    samples = timed(lambda: evaluate(cat, now), runs)
    print(f"evaluate, {PLANS} plans: median {median_ms(samples):.1f} ms, worst "
          f"{max(samples) * 1000:.1f} ms over {runs} runs (most common state: {states})")
    cat.dispose()


def bench_processes(home: Path, runs: int) -> None:
    env = {**os.environ, "BACKUPDESK_HOME": str(home)}
    cmds = {"status --json": ["status", "--json"], "plan list --json (baseline)":
            ["plan", "list", "--json"]}
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, args in cmds.items():
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "core", *args], env=env, capture_output=True,
                           check=False)
            times[name].append(time.perf_counter() - t)
    base = median_ms(times["plan list --json (baseline)"])
    for name, samples in times.items():
        print(f"process `backupdesk {name}`: median {median_ms(samples):.0f} ms")
    print(f"status over baseline: +{median_ms(times['status --json']) - base:.0f} ms")


def _p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95)] * 1000


def bench_finisher(home: Path, calls: int) -> None:
    """Wall time of the finisher per call, its CPU time (this thread's: what the work costs
    without waiting for a core on a loaded machine) and the wall time of its baseline query
    alone: a high wall p95 with a low CPU p95 is the load, not the query."""
    from core.catalogue import open_catalogue
    from core.catalogue.watch import baseline
    from core.config import AppConfig
    from core.jobs.lifecycle import job
    from core.plans import get_plan
    from core.watch.anomaly import check_job

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    plan = get_plan(cat, "plan-001")
    with job(cat, kind="backup", engine="archive", plan=plan) as j:
        j.end.bytes, j.end.files = 10**9, 50_000
        wall, cpu, query = [], [], []
        for _ in range(calls):
            j.end.details = {"type": "full", "changes": {"changed": 10, "deleted": 1}}
            t, c = time.perf_counter(), time.thread_time()
            check_job(j)
            wall.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            t = time.perf_counter()
            baseline(cat, plan.id, j.id)
            query.append(time.perf_counter() - t)
        j.end.details = {}
    print(f"anomaly finisher: median {median_ms(wall):.2f} ms, p95 {_p95(wall):.2f} ms wall; "
          f"CPU median {median_ms(cpu):.2f} ms, p95 {_p95(cpu):.2f} ms; its baseline query "
          f"alone median {median_ms(query):.2f} ms, p95 {_p95(query):.2f} ms "
          f"over {calls} calls (load {os.getloadavg()[0]:.1f})")
    cat.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=9)
    a = p.parse_args()
    home = watch_home(a.jobs)
    bench_evaluate(home, a.runs)
    bench_finisher(home, 200)
    bench_processes(home, a.runs)


if __name__ == "__main__":
    main()
