"""Where the CPU of `backupdesk run PLAN --full` goes, run on demand from the repository root:

    python tests/bench/bench_full_cpu.py [--files 20000] [--runs 7]

bench_cli's `full` figure, taken apart. Each side is a whole process tree, timed by its CPU
seconds (user + system, `getrusage(RUSAGE_CHILDREN)`) beside its wall time, medians of rounds
that rotate which side goes first, against `tar -cf - TREE | zstd -3 -T0 > OUT` in the same
rounds (and, measured in this process, the CPU of the two SHA-256 passes over the same bytes
held in memory: each file's, and the stored stream's):

  run --full         the command as a user types it (default plan options)
  run, no index      the same with the file index's update left out (core.findex is not
                     called: what indexing the manifest costs is the difference)
  engine alone       one bare Python process that imports the archive engine and writes the
                     same archive (write_archive: scan, read, hash, frame, compress, write);
                     no catalogue, no job, no manifest
  one-file run       `run` of a one-file plan: the command's fixed cost (start, catalogue,
                     job), which the tree's run pays too

The machine may be shared: CPU seconds wait for no core, so their ratios are the ones to read
there. Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_archive import make_tree
from tests.bench.bench_cli import REPO, Home, sh, timed

BASELINE = "tar \\| zstd -3 -T0"  # a markdown table's cell

NO_INDEX = """
import sys
import core.jobs.backup_end as backup_end
from core.findex.indexing import Indexed
backup_end.index_quietly = lambda *a, **k: Indexed()
from core.cli.main import main
sys.exit(main())
"""

ENGINE = """
import sys
from pathlib import Path
from core.engines.archive.create import write_archive
from core.engines.archive.gcquiet import rare_collections
from core.engines.archive.scan import start
from core.progress import CancelToken
with rare_collections():  # as the engine's run() writes it
    write_archive(start([sys.argv[1]]), [], Path(sys.argv[2]), "zstd:3", "b", None,
                  lambda p: None, CancelToken())
"""


def hash_cpu(tree: Path, archive: Path) -> tuple[float, float]:
    """CPU seconds of SHA-256 over each file's bytes and over the archive's, all read first."""
    files = [p.read_bytes() for p in sorted(tree.rglob("*")) if p.is_file()]
    stream = archive.read_bytes()
    t = time.thread_time()
    for data in files:
        hashlib.sha256(data).hexdigest()
    each = time.thread_time() - t
    t = time.thread_time()
    hashlib.sha256(stream).hexdigest()
    return each, time.thread_time() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=20_000, help="files in the tree (20,000)")
    ap.add_argument("--runs", type=int, default=7, help="rounds (7)")
    a = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bd-bench-fullcpu-", dir="/tmp"))
    try:
        tree = base / "tree"
        make_tree(tree, a.files)
        out = base / "baseline.tar.zst"
        tar = f"tar -cf - '{tree}' | zstd -3 -T0 > '{out}'"
        sh(tar)  # the page cache holds the tree for every side
        full, bare, one = Home(base, "full"), Home(base, "noindex"), Home(base, "one")
        for h in (full, bare):
            h.bd("plan", "add", "tree", "--engine", "archive", "--source", str(tree),
                 "--dest", str(base / f"dest-{h.path.name}"))
        (base / "one-src").mkdir()
        (base / "one-src" / "file.txt").write_text("one file\n")
        one.bd("plan", "add", "one", "--engine", "archive", "--source", str(base / "one-src"),
               "--dest", str(base / "dest-one"))
        py = [sys.executable]
        engine_out = base / "engine.tar.zst"
        sides: dict[str, Callable[[], object]] = {
            BASELINE: lambda: sh(tar),
            "run --full": lambda: full.bd("run", "tree", "--full"),
            "run, no index": lambda: sh([*py, "-c", NO_INDEX, "--home", str(bare.path), "run",
                                         "tree", "--full"], bare.env),
            "engine alone": lambda: sh([*py, "-c", ENGINE, str(tree), str(engine_out)]),
            "one-file run": lambda: one.bd("run", "one", "--full"),
        }
        for fn in sides.values():  # a first round: bytecode written, caches warm
            fn()
        got: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
        names = list(sides)
        for i in range(a.runs):
            for k in names[i % len(names):] + names[:i % len(names)]:
                got[k].append(timed(sides[k]))
        each, stream = hash_cpu(tree, engine_out)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    wb, cb = (statistics.median(x[j] for x in got[BASELINE]) for j in (0, 1))
    print("| side | wall (median) | x baseline | CPU, user + system (median) | x baseline | "
          "CPU, fewest (of the rounds) |\n|---|---|---|---|---|---|")
    least = min(c for _, c in got[BASELINE])
    for k, xs in got.items():
        w, c = (statistics.median(x[j] for x in xs) for j in (0, 1))
        m = min(c for _, c in xs)
        print(f"| {k} | {w:.3f} s | {w / wb:.2f}x | {c:.3f} s | {c / cb:.2f}x | "
              f"{m:.3f} s, {m / least:.2f}x |")
    print(f"\nSHA-256 in this process, bytes in memory: each file {each:.3f} s CPU, the "
          f"stored stream {stream:.3f} s")
    print(f"\n{REPO}; {a.files:,} files; {a.runs} rounds, rotating; cores {os.cpu_count()}; "
          f"load {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {time.strftime('%H:%M')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
