"""Helpers shared by the benchmarks (run on demand: python -m tests.bench.NAME)."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(os.environ.get("BACKUPDESK_BENCH_DIR", "/tmp/backupdesk-bench"))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[[], object], repeat: int = 7) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def run_py(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def million_job_home(n: int = 1_000_000) -> Path:
    """A home whose catalogue holds n synthetic jobs (built once, then reused)."""
    from tests.bench.seed_history import seed

    home = BENCH_DIR / f"history-{n}"
    marker = home / "seeded"
    if not marker.exists():
        import shutil

        shutil.rmtree(home, ignore_errors=True)
        t = time.perf_counter()
        seed(str(home), n)
        marker.write_text("ok")
        print(f"(seeded {n:,} jobs in {time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return home


_TEXT = ("backup archive restore verify chain full incremental manifest destination plan the of "
         "and to in is for on with as by at from file folder data value error time")
WORDS = [w.encode() for w in _TEXT.split()]


def content(rng: random.Random, size: int) -> bytes:
    """Archive test data: about half text-like (compressible), half random bytes."""
    text = b" ".join(rng.choice(WORDS) for _ in range(size // 12 + 1))[: size // 2]
    return text + rng.randbytes(size - len(text))
