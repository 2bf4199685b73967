"""Fill a catalogue with N synthetic jobs (for benchmarks and screenshots).

    python -m tests.bench.seed_history --home DIR --jobs 1000000
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta

from sqlalchemy import insert

from core.catalogue import open_catalogue
from core.catalogue.schema import Destination, Job, JobLog, Plan
from core.config import AppConfig
from core.timeutil import utcnow
from tests.core.helpers import orm_session

PLANS = [("lab-data", "archive"), ("home-dirs", "borg"), ("postgres-main", "archive"),
         ("instrument-3", "borg"), ("etc-configs", "archive")]
ERRORS = ["pg_dump: error: connection to server at \"db1\" (10.0.0.5), port 5432 failed",
          "Destination /mnt/nas/backups is not writable: Permission denied.",
          "borg: Failed to create/acquire the lock /srv/borg/repo/lock.exclusive (timeout).",
          "No space left on device while writing /mnt/usb/lab-data/2026-11-20.tar.zst"]


def seed(home: str, n_jobs: int, *, seed_value: int = 7, with_plans: bool = True) -> None:
    rnd = random.Random(seed_value)
    cfg = AppConfig.resolve(home)
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    plan_ids: dict[str, int] = {}
    with orm_session(cat) as s:
        for name, engine in PLANS if with_plans else []:
            p = Plan(name=name, engine=engine, sources=[f"/srv/{name}"], options={})
            p.destinations = [Destination(location=f"/mnt/backup/{name}")]
            s.add(p)
            s.flush()
            plan_ids[name] = p.id
    now = utcnow()
    span = timedelta(days=max(30, n_jobs // 20)).total_seconds()
    batch: list[dict[str, object]] = []
    logs: list[dict[str, object]] = []
    next_id = 1
    with cat.engine.begin() as conn:
        for i in range(n_jobs):
            name, engine = PLANS[rnd.randrange(len(PLANS))]
            age = span * (1 - i / max(1, n_jobs)) + rnd.random() * 60
            started = now - timedelta(seconds=age)
            dur = rnd.randint(800, 3_600_000)
            r = rnd.random()
            status = "success" if r < 0.86 else "failed" if r < 0.93 else "partial" \
                if r < 0.97 else "cancelled"
            trig = rnd.choice(["scheduled"] * 6 + ["manual", "cli", "external"])
            kind = rnd.choice(["backup"] * 8 + ["prune", "verify"])
            batch.append(dict(
                id=next_id, plan_id=plan_ids.get(name), plan_name=name, engine=engine, kind=kind,
                trigger=trig, status=status,
                requested_by="scheduler" if trig == "scheduled" else rnd.choice(
                    ["alice", "bob", "root"]),
                host="labws-01", created_at=started, started_at=started,
                finished_at=started + timedelta(milliseconds=dur), duration_ms=dur,
                bytes=rnd.randint(10_000, 50_000_000_000), files=rnd.randint(1, 400_000),
                error=rnd.choice(ERRORS) if status in ("failed", "partial") else None,
                details={},
            ))
            logs.append(dict(job_id=next_id, text=f"job {next_id}: {kind} of {name} {status}\n"))
            next_id += 1
            if len(batch) >= 20000:
                conn.execute(insert(Job), batch)
                conn.execute(insert(JobLog), logs)
                batch.clear()
                logs.clear()
        if batch:
            conn.execute(insert(Job), batch)
            conn.execute(insert(JobLog), logs)
    if cat.is_sqlite:
        with cat.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    cat.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--home", required=True)
    p.add_argument("--jobs", type=int, default=1000)
    a = p.parse_args()
    seed(a.home, a.jobs)


if __name__ == "__main__":
    main()
