"""/metrics benchmark (run on demand): python -m tests.bench.bench_metrics [--plans 200]
[--jobs 200000] [--rounds 40]

Seeds a catalogue with P plans (default 200) and J jobs spread over them, runs `backupdesk
serve` as a user does (default options) and scrapes it from this process, alternating
`GET /metrics` with the baseline `GET /status` (the agent's own document of the same plans,
from the same server and catalogue), and `GET /metrics` right after a backup job of one plan
finished (written by this process: the text is written again, not answered from the last
scrape's). Prints the median and 95th percentile of the wall time of each request, and the
ratios to the baseline. Target: /metrics <= 50 ms. The machine may be shared:
compare with the baseline of the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from tests.bench.common import BENCH_DIR

TOKEN = "bench-metrics-token"


def seed(home: Path, plans: int, jobs: int) -> None:
    from sqlalchemy import insert

    from core.catalogue import open_catalogue
    from core.catalogue.schema import Destination, Job, Plan
    from core.config import AppConfig
    from core.timeutil import utcnow
    from tests.core.helpers import orm_session

    rnd = random.Random(3)
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    ids = []
    with orm_session(cat) as s:
        for i in range(plans):
            p = Plan(name=f"plan-{i:03d}", engine="archive", sources=[f"/srv/p{i}"], options={})
            p.destinations = [Destination(location=f"/mnt/backup/p{i}")]
            s.add(p)
            s.flush()
            ids.append((p.id, p.name))
    now, batch = utcnow(), []
    with cat.engine.begin() as conn:
        for n in range(jobs):
            pid, name = ids[n % plans]
            started = now - timedelta(hours=(jobs - n) / plans * 24)
            dur = rnd.randint(1_000, 3_600_000)
            batch.append(dict(
                plan_id=pid, plan_name=name, engine="archive",
                kind="backup" if rnd.random() < 0.8 else "verify", trigger="scheduled",
                status="success" if rnd.random() < 0.9 else "failed", requested_by="scheduler",
                host="bench", created_at=started, started_at=started,
                finished_at=started + timedelta(milliseconds=dur), duration_ms=dur,
                bytes=rnd.randint(10_000, 10**10), files=rnd.randint(1, 100_000), details={}))
            if len(batch) >= 20_000:
                conn.execute(insert(Job), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Job), batch)
    with cat.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    cat.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=40)
    a = ap.parse_args()
    home = BENCH_DIR / f"metrics-{a.plans}-{a.jobs}"
    if not (home / "seeded").exists():
        seed(home, a.plans, a.jobs)
        (home / "seeded").touch()
    token = BENCH_DIR / "metrics-token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    proc = subprocess.Popen([sys.executable, "-m", "core", "serve", "--token-file", str(token),
                             "--port", "0"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "BACKUPDESK_HOME": str(home)})
    assert proc.stdout is not None
    address = proc.stdout.readline().split("http://", 1)[1].split("/", 1)[0]
    times: dict[str, list[float]] = {"/metrics": [], "/status": [], "/metrics changed": []}
    from core.catalogue import open_catalogue
    from core.catalogue.jobs import finish_job, start_job
    from core.config import AppConfig

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            for path in times:  # one warm-up each
                client.get(f"http://{address}{path.split()[0]}").raise_for_status()
            for i in range(a.rounds):
                for path, samples in times.items():
                    if path.endswith("changed"):
                        job = start_job(cat, engine="archive", kind="backup", plan_id=1,
                                        plan_name="plan-000")
                        finish_job(cat, job, "success", bytes=i, files=i)
                    t = time.perf_counter()
                    r = client.get(f"http://{address}{path.split()[0]}")
                    samples.append(time.perf_counter() - t)
                    r.raise_for_status()
            size = len(client.get(f"http://{address}/metrics").content)
    finally:
        cat.dispose()
        proc.terminate()
        proc.wait(10)
    print(f"{a.plans} plans, {a.jobs} jobs, {a.rounds} rounds; /metrics is {size} bytes")
    for path, samples in times.items():
        q = statistics.quantiles(samples, n=20)
        print(f"{path:16} median {statistics.median(samples) * 1000:6.1f} ms  "
              f"p95 {q[18] * 1000:6.1f} ms")
    base = statistics.median(times["/status"])
    for path in ("/metrics", "/metrics changed"):
        print(f"{path} / /status (baseline) median ratio: "
              f"{statistics.median(times[path]) / base:.3f}")


if __name__ == "__main__":
    main()
