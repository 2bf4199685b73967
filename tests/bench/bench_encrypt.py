"""Encryption at rest, run on demand: `python tests/bench/bench_encrypt.py [--quick]`.

Whole `backupdesk run PLAN --full` processes as a user runs them, default options, on the
20,000-file tree and on one 1 GiB file: an encrypted plan (`--encrypt`) against the same plan
unencrypted, alternating, median of N. Prints the ratios (encrypted / plain) of wall time and
peak memory (the process's maximum RSS). Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_archive import make_big, make_tree


def backupdesk(home: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one `backupdesk` process."""
    env = {**os.environ, "BACKUPDESK_HOME": str(home), "BACKUPDESK_SECRETS_FILE_ONLY": "1"}
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "core", *args], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"backupdesk {' '.join(args)} exited {p.returncode}")
    return wall, usage.ru_maxrss


def measure(base: Path, src: Path, repeat: int) -> dict[str, tuple[float, int]]:
    home = base / "home"
    names = ("plain", "sealed")
    for name in names:
        backupdesk(home, "plan", "add", name, "--engine", "archive", "--source", str(src),
                   "--dest", str(base / f"dest-{name}"),
                   *(["--encrypt"] if name == "sealed" else []))
    walls: dict[str, list[float]] = {n: [] for n in names}
    peaks: dict[str, list[int]] = {n: [] for n in names}
    for i in range(repeat + 1):  # the first round warms the cache and is not counted
        for name in names if i % 2 else reversed(names):  # alternating order
            wall, peak = backupdesk(home, "run", name, "--full")
            if i:
                walls[name].append(wall)
                peaks[name].append(peak)
            shutil.rmtree(base / f"dest-{name}" / name, ignore_errors=True)
    return {n: (statistics.median(walls[n]), int(statistics.median(peaks[n]))) for n in names}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2,000 files and 200 MiB")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    files, big = (2_000, 200 << 20) if a.quick else (20_000, 1 << 30)
    with tempfile.TemporaryDirectory(prefix="backupdesk-bench-encrypt-") as tmp:
        base = Path(tmp)
        tree = base / "tree-data" / "tree"
        tree.mkdir(parents=True)
        random.seed(1)
        make_tree(tree, files)
        one = base / "big-data" / "big"
        one.mkdir(parents=True)
        make_big(one / "big.bin", big)
        for label, src in ((f"{files:,}-file tree", tree), (f"{big >> 20} MiB file", one)):
            r = measure(base / label.replace(" ", "-"), src, a.repeat)
            (pw, pm), (sw, sm) = r["plain"], r["sealed"]
            print(f"{label}: plain {pw:.2f} s {pm >> 10} MiB, encrypted {sw:.2f} s "
                  f"{sm >> 10} MiB: time x{sw / pw:.2f}, peak memory x{sm / pm:.2f} "
                  f"(median of {a.repeat}, alternating)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
