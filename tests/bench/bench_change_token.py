"""The History's change token (core.catalogue.history.change_token, polled by the window) on
the /metrics bench's catalogue (200 plans, 200,000 jobs, ANALYZEd; seed it first with
`python -m tests.bench.bench_metrics`), alternating with the statement it replaced
(`status IN (?, ?)`, which SQLite answers with a scan of the jobs):

    python -m tests.bench.bench_change_token [--plans 200] [--jobs 200000] [--runs 41]
"""

from __future__ import annotations

import argparse
import time

from core.catalogue import open_catalogue
from core.catalogue.enums import JobStatus
from core.catalogue.history import change_token
from core.config import AppConfig
from tests.bench.common import BENCH_DIR, median_ms

FORMER = ("SELECT id, status, heartbeat_at, bytes, files FROM jobs WHERE status IN (?, ?)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=41)
    a = ap.parse_args()
    home = BENCH_DIR / f"metrics-{a.plans}-{a.jobs}"
    if not (home / "seeded").exists():
        raise SystemExit(f"seed {home} first: python -m tests.bench.bench_metrics")
    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    live = [JobStatus.RUNNING.value, JobStatus.QUEUED.value]
    now: list[float] = []
    former: list[float] = []
    for _ in range(a.runs):
        t = time.perf_counter()
        change_token(cat)
        now.append(time.perf_counter() - t)
        t = time.perf_counter()
        with cat.db.connect() as c:
            c.scalar("SELECT max(id) FROM jobs")
            c.rows(FORMER, live)
        former.append(time.perf_counter() - t)
    print(f"change_token: median {median_ms(now):.2f} ms; the former statements: median "
          f"{median_ms(former):.2f} ms ({a.runs} alternating runs, {a.jobs} jobs)")
    cat.dispose()


if __name__ == "__main__":
    main()
