"""What the catalogue's integrity check costs a command (run on demand, never in CI).

    python -m tests.bench.bench_catalogue_check [--jobs 1000000] [--repeat 5]

`backupdesk history --limit 5` on a 1M-job catalogue, alternating: the file unchanged since
Backup Desk closed it (the marker says whole: no check) and the file touched from outside
(`PRAGMA quick_check` reads it all). Medians of whole processes, as a user runs them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from tests.bench.common import median_ms, million_job_home


def _history(home: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core", "--home", home, "history", "--limit", "5"],
                   check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    home = million_job_home(a.jobs)
    cat = home / "data" / "catalogue.sqlite3"
    _history(str(home))  # warm the page cache and leave the marker
    unchanged, changed = [], []
    for _ in range(a.repeat):
        unchanged.append(_history(str(home)))
        os.utime(cat)  # changed outside Backup Desk: the next open checks it
        changed.append(_history(str(home)))
    size = cat.stat().st_size / 1e6
    print(f"catalogue {size:.0f} MB, {a.jobs:,} jobs; history --limit 5, median of {a.repeat}")
    print(f"  unchanged (no check): {median_ms(unchanged):8.0f} ms")
    print(f"  changed (quick_check): {median_ms(changed):8.0f} ms "
          f"({median_ms(changed) / median_ms(unchanged):.1f}x)")


if __name__ == "__main__":
    main()
