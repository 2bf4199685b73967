"""What taking a backup out of a plan's file index costs (a delete, a prune, an archive found
gone): three backups of N paths (1 % changing between them) fed into an index file, then the
middle one removed, then the newest.

    python -m tests.bench.bench_findex_remove [N]     (N = 1,000,000 by default)
"""

from __future__ import annotations

import sys
import time

from core.findex.feed import FileEntry, feed
from core.findex.store import drop, open_index
from tests.bench.common import BENCH_DIR


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / "findex-remove.sqlite3"
    drop(path)
    ix = open_index(path)
    base = [(f"d{i // 1000}/f{i}".encode(), i, i, None) for i in range(n)]
    for k in range(3):
        files: list[FileEntry] = [(p, s + (k if j % 100 == 0 else 0), m, h)
                                  for j, (p, s, m, h) in enumerate(base)]
        feed(ix, f"b:{k}", f"n{k}", f"2026-01-0{k + 1}", files)
    for what, ref in (("the middle backup", "b:1"), ("the newest", "b:2")):
        t, c = time.perf_counter(), time.process_time()
        ix.remove_backups([ref])
        print(f"{n:,} paths, {what} removed: {time.perf_counter() - t:.2f} s wall, "
              f"{time.process_time() - c:.2f} s CPU")
    ix.close()
    drop(path)


if __name__ == "__main__":
    main()
