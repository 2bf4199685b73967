"""Incremental with nothing changed, against a baseline checkout, run on demand:

    python tests/bench/bench_incremental.py --baseline /path/to/other/checkout [--files 20000]

One tree of small files; each checkout gets its own home and plan and a full backup, then
`backupdesk run PLAN --incremental` runs as a user runs it (a whole process), alternating
between the checkouts. Prints the median wall time of each and their ratio, and the engine's
own time (in-process, from the job's duration). The baseline needs its _fastpack built.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_archive import make_tree

HERE = Path(__file__).resolve().parents[2]


def cli(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKUPDESK_HOME": str(home), "PYTHONPATH": str(repo)}
    return subprocess.run([sys.executable, "-m", "core.cli.main", *args], env=env, cwd=repo,
                          capture_output=True, text=True, check=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, required=True, help="another checkout")
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bd-bench-incr-", dir="/tmp"))
    try:
        tree = base / "tree"
        make_tree(tree, a.files)
        repos = {"this": HERE, "baseline": a.baseline.resolve()}
        for name, repo in repos.items():
            home = base / f"home-{name}"
            cli(repo, home, "plan", "add", "tree", "--engine", "archive", "--source", str(tree),
                "--dest", str(base / f"dest-{name}"))
            cli(repo, home, "run", "tree")
        wall: dict[str, list[float]] = {n: [] for n in repos}
        engine: dict[str, list[float]] = {n: [] for n in repos}
        for _ in range(a.repeat):
            for name, repo in repos.items():
                t = time.perf_counter()
                out = cli(repo, base / f"home-{name}", "run", "tree", "--incremental", "--json")
                wall[name].append(time.perf_counter() - t)
                engine[name].append(json.loads(out.stdout)["duration_ms"] / 1000)
        for name in repos:
            print(f"{name:9} process median {statistics.median(wall[name]):.3f} s, "
                  f"job median {statistics.median(engine[name]):.3f} s")
        med = {n: (statistics.median(wall[n]), statistics.median(engine[n])) for n in repos}
        print(f"ratio this/baseline: process {med['this'][0] / med['baseline'][0]:.2f}, "
              f"job {med['this'][1] / med['baseline'][1]:.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
