"""Which data layer for the catalogue: the cost of each in a whole process, and what the
command line pays for it.

    python -m tests.bench.bench_catalogue_layer [--runs 15] [--before DIR]

1. Layers: a fresh process imports the layer, opens a catalogue file and reads every plan with
   its destinations (the same rows each way): plain DB-API (sqlite3), SQLAlchemy Core
   (engine + text()), the SQLAlchemy ORM (the declarative classes of core.catalogue.schema, a
   Session, selectinload). Wall time from spawn to exit, and the RSS at the end (idle memory
   of a process that has read the catalogue), against `python -c pass`.
2. Commands: `backupdesk --version`, `status`, `plan list`, `history` and `run` of a one-file
   plan, as a user runs them (the venv's console script, default options), median of
   alternating runs. With `--before DIR` (a checkout of an earlier commit's `core/`, e.g.
   `git archive BASE core | tar -x -C DIR`) the same commands also run from that code in the
   same rounds, on a copy of the same home.

Every figure is a median of `--runs` alternating runs in one round-robin, so a loaded machine
slows each variant alike; compare within a run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RSS = ("s = open('/proc/self/status').read().splitlines()\n"
       "print([int(x.split()[1]) for x in s if x.startswith('VmRSS')][0])\n")

LAYERS = {
    "python -c pass": "pass\n",
    "DB-API (sqlite3)": """
import sqlite3
con = sqlite3.connect(FILE)
plans = con.execute("SELECT id, name, engine, options FROM plans ORDER BY name").fetchall()
dests = con.execute("SELECT id, plan_id, location, options FROM destinations").fetchall()
assert plans and dests
""",
    "SQLAlchemy Core": """
import sqlalchemy as sa
engine = sa.create_engine("sqlite:///" + FILE)
with engine.connect() as c:
    plans = c.execute(sa.text("SELECT id, name, engine, options FROM plans ORDER BY name")).all()
    dests = c.execute(sa.text("SELECT id, plan_id, location, options FROM destinations")).all()
assert plans and dests
""",
    "SQLAlchemy ORM": """
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from core.catalogue.schema import Plan
engine = sa.create_engine("sqlite:///" + FILE)
with Session(engine) as s:
    plans = s.scalars(sa.select(Plan).order_by(Plan.name)
                      .options(selectinload(Plan.destinations))).all()
assert plans and plans[0].destinations
""",
}


def timed(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=True,
                         timeout=120).stdout
    return time.perf_counter() - t, out


def make_home(root: Path) -> tuple[Path, Path]:
    """A home with one plan of one small file; its catalogue file."""
    src = root / "src"
    src.mkdir(parents=True)
    (src / "a.txt").write_text("hello\n")
    home = root / "home"
    exe = shutil.which("backupdesk", path=str(Path(sys.executable).parent))
    assert exe, "run from the project's venv"
    subprocess.run([exe, "--home", str(home), "plan", "add", "one", "--engine", "archive",
                    "--source", str(src), "--dest", str(root / "dest")], check=True,
                   capture_output=True, cwd=root)
    subprocess.run([exe, "--home", str(home), "run", "one"], check=True, capture_output=True,
                   cwd=root)
    return home, next(home.rglob("catalogue.sqlite3"))


def bench_layers(runs: int, db: Path, cwd: str) -> None:
    env = {**os.environ}
    code = {k: f"FILE = {str(db)!r}\n{v}\n{RSS}" for k, v in LAYERS.items()}
    samples: dict[str, list[tuple[float, int]]] = {k: [] for k in code}
    for k in code:  # warm the page cache and .pyc files
        timed([sys.executable, "-c", code[k]], env, cwd)
    for _ in range(runs):
        for k, c in code.items():
            t, out = timed([sys.executable, "-c", c], env, cwd)
            samples[k].append((t, int(out.strip().splitlines()[-1])))
    base = statistics.median(t for t, _ in samples["python -c pass"])
    print(f"Data layers: import + open + read plans and destinations, whole process, "
          f"median of {runs}")
    print(f"{'layer':<20} {'wall ms':>8} {'+ over python':>14} {'RSS MiB':>8}")
    for k, rows in samples.items():
        t = statistics.median(x for x, _ in rows)
        rss = statistics.median(r for _, r in rows) / 1024
        print(f"{k:<20} {t * 1000:8.0f} {(t - base) * 1000:14.0f} {rss:8.1f}")


def bench_commands(runs: int, home: Path, before: Path | None, cwd: str) -> None:
    exe = shutil.which("backupdesk", path=str(Path(sys.executable).parent))
    assert exe
    variants: dict[str, tuple[dict[str, str], Path]] = {"now": ({**os.environ}, home)}
    if before is not None:
        other = home.parent / "home-before"
        shutil.copytree(home, other)
        variants["before"] = ({**os.environ, "PYTHONPATH": str(before)}, other)
    commands = {"--version": ["--version"], "status": ["status"], "plan list": ["plan", "list"],
                "history": ["history"], "run (one file)": ["run", "one"]}
    samples: dict[tuple[str, str], list[float]] = {}
    for env, h in variants.values():  # warm up, and check each runs
        for args in commands.values():
            timed([exe, "--home", str(h), *args], env, cwd)
    for _ in range(runs):
        for v, (env, h) in variants.items():
            for name, args in commands.items():
                t, _ = timed([exe, "--home", str(h), *args], env, cwd)
                samples.setdefault((v, name), []).append(t)
    print(f"\nCommands, whole `backupdesk` process, median of {runs} alternating runs (ms; "
          "in brackets: more than `--version` of the same code)")
    head = f"{'command':<16}" + "".join(f"{v:>20}" for v in variants)
    print(head)
    for name in commands:
        cells = []
        for v in variants:
            t = statistics.median(samples[(v, name)]) * 1000
            ver = statistics.median(samples[(v, "--version")]) * 1000
            cells.append(f"{t:8.0f} (+{t - ver:4.0f})" if name != "--version" else f"{t:8.0f}")
        print(f"{name:<16}" + "".join(f"{c:>20}" for c in cells))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--before", type=Path, help="a directory holding an earlier `core/`")
    a = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bd-bench-layer-"))
    # Run outside the source tree, so that --before's PYTHONPATH is the code imported.
    cwd = str(root)
    try:
        home, db = make_home(root)
        bench_layers(a.runs, db, cwd)
        bench_commands(a.runs, home, a.before, cwd)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end;"
          " shared with other work)")


if __name__ == "__main__":
    main()
