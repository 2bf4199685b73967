"""First paint of the PyInstaller bundle against the unbundled app, in the same run.

    python -m tests.bench.bench_bundle [--runs 11] [--bundle dist/backupdesk]
    python -m tests.bench.bench_bundle --tree /tmp/other-checkout   (this checkout vs another)

Both start `gui --exit-after-start` on the same fresh home (offscreen); wall time from spawning
the process to the main window's first paint; median of N alternating runs. Target: bundle
<= 1.2x unbundled.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spawn(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> float:
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=cwd,
                         timeout=60).stdout
    marks = json.loads(out.strip().splitlines()[-1])
    return (marks["first_paint"] - t0) * 1000


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=11)
    p.add_argument("--bundle", default="dist/backupdesk")
    p.add_argument("--tree", help="compare with the unbundled app of another checkout instead "
                                  "(e.g. a git worktree before a change)")
    a = p.parse_args()
    if a.tree:
        compare_trees(a.tree, a.runs)
        return
    exe = Path(a.bundle) / "backupdesk"
    if not exe.is_file():
        sys.exit(f"no bundle at {a.bundle}: run packaging/build.sh --bundle-only first")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    home = tempfile.mkdtemp(prefix="bd-bench-bundle-")
    tail = ["--home", home, "gui", "--exit-after-start"]
    unbundled = [sys.executable, "-m", "core", *tail]
    bundled = [str(exe), *tail]
    spawn(unbundled, env)  # create and migrate the catalogue, warm caches
    spawn(bundled, env)
    u, b = [], []
    for _ in range(a.runs):
        u.append(spawn(unbundled, env))
        b.append(spawn(bundled, env))
    mu, mb = statistics.median(u), statistics.median(b)
    print(f"first paint, median of {a.runs}: unbundled {mu:.0f} ms, bundle {mb:.0f} ms "
          f"(ratio {mb / mu:.2f}; target <= 1.20)")


def compare_trees(tree: str, runs: int) -> None:
    here = str(Path(__file__).resolve().parents[2])
    envs = {t: {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": t}
            for t in (tree, here)}
    homes = {t: tempfile.mkdtemp(prefix="bd-bench-tree-") for t in (tree, here)}

    def one(t: str) -> float:
        cmd = [sys.executable, "-m", "core", "--home", homes[t], "gui", "--exit-after-start"]
        return spawn(cmd, envs[t], cwd=t)

    one(tree), one(here)
    other, this = [], []
    for _ in range(runs):
        other.append(one(tree))
        this.append(one(here))
    mo, mt = statistics.median(other), statistics.median(this)
    print(f"first paint, median of {runs}: {tree} {mo:.0f} ms, this checkout {mt:.0f} ms "
          f"(ratio {mt / mo:.2f})")


if __name__ == "__main__":
    main()
