"""Archive engine benchmark, run on demand: `python tests/bench/bench_archive.py [--quick]`.

Measures, in one run and against baselines timed in the same run (best of N, warm cache):
  1. a full zstd:3 backup vs `tar -cf - SRC | zstd -3 -T0 > OUT` (tree and 2 GiB file);
  2. an incremental with nothing changed on the 20,000-file tree (absolute seconds);
  3. verify throughput vs single-threaded hashlib.sha256 over the same bytes
     (2 GiB file: one stream; tree: a backup kept at two destinations).
Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.catalogue import open_catalogue
from core.config import AppConfig
from core.jobs.run import run_plan
from core.jobs.verify import verify_backups
from core.plans import add_plan
from tests.bench.common import content
from tests.core.helpers import orm_session


def make_tree(root: Path, files: int) -> int:
    rng = random.Random(1)
    total = 0
    for i in range(files):
        d = root / f"dir{i // 200:03d}" / f"sub{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        size = rng.randint(1024, 20 * 1024)
        (d / f"file {i:05d}.dat").write_bytes(content(rng, size))
        total += size
    return total


def make_big(path: Path, size: int) -> None:
    rng = random.Random(2)
    block = 1 << 20
    with open(path, "wb") as f:
        for _ in range(size // block):
            f.write(content(rng, block))


def best(n: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def baseline_tar_zstd(src: Path, out: Path, fsync: bool = False) -> None:
    sync = f" && sync '{out}'" if fsync else ""
    subprocess.run(f"tar -cf - -C '{src.parent}' '{src.name}' | zstd -3 -T0 -q -f -o '{out}'"
                   + sync, shell=True, check=True)
    out.unlink()


def sha_single(paths: list[Path]) -> int:
    n = 0
    buf = bytearray(8 << 20)
    view = memoryview(buf)
    for p in paths:
        h = hashlib.sha256()
        with open(p, "rb", buffering=0) as f:
            while k := f.readinto(buf):
                h.update(view[:k])
                n += k
    return n


class Bench:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.home = base / "home"
        cfg = AppConfig.resolve(str(self.home))
        cfg.paths.ensure()
        self.paths = cfg.paths
        self.cat = open_catalogue(cfg.catalogue_url)

    def plan(self, name: str, src: Path, dests: int) -> None:
        add_plan(self.cat, name, "archive", sources=[str(src)],
                 destinations=[str(self.base / f"dest-{name}-{i}") for i in range(dests)],
                 options={"verify_after": False, "full_every": 1000})

    def run(self, name: str, mode: str) -> int:
        out = run_plan(self.cat, self.paths, name, mode=mode)
        assert out.status == "success", out.error
        assert out.backup_id is not None
        return out.backup_id

    def drop(self, name: str) -> None:
        for d in self.base.glob(f"dest-{name}-*"):
            shutil.rmtree(d, ignore_errors=True)
        from sqlalchemy import delete

        from core.catalogue.schema import Backup

        with orm_session(self.cat) as s:
            s.execute(delete(Backup).where(Backup.plan_name == name))

    def artifacts(self, backup_id: int) -> list[Path]:
        from core.backups import get_backup

        b = get_backup(self.cat, backup_id)
        return [Path(loc.path) / a.name for loc in b.locations for a in b.artifacts]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2,000 files and 200 MiB")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    nfiles, big_size = (2000, 200 << 20) if a.quick else (20_000, 2 << 30)
    base = Path(tempfile.mkdtemp(prefix="bd-bench-", dir="/tmp"))
    try:
        tree, big_dir = base / "tree", base / "bigsrc"
        big_dir.mkdir()
        t = time.perf_counter()
        tree_bytes = make_tree(tree, nfiles)
        make_big(big_dir / "big.bin", big_size)
        print(f"data: {nfiles} files / {tree_bytes / 1e6:.0f} MB, big file "
              f"{big_size / 2**30:.2f} GiB ({time.perf_counter() - t:.0f} s to make)")
        b = Bench(base)
        b.plan("tree", tree, 2)
        b.plan("big", big_dir, 1)
        out = base / "baseline.tar.zst"
        rows = []
        for name, src in (("tree", tree), ("big", big_dir)):
            baseline_tar_zstd(src, out)  # warm the page cache
            base_t = best(a.repeat, lambda src=src: baseline_tar_zstd(src, out))
            base_sync = best(a.repeat, lambda src=src: baseline_tar_zstd(src, out, True))
            b.plan(f"{name}-1", src, 1)

            def full(name: str = name) -> None:
                b.drop(f"{name}-1")
                b.run(f"{name}-1", "full")

            ours = best(a.repeat, full)
            rows.append((f"full zstd:3, {name}", ours, base_t, ours / base_t, "<= 1.15"))
            rows.append((f"full zstd:3, {name}, baseline + sync OUT", ours, base_sync,
                         ours / base_sync, "(context)"))
        b.run("tree", "full")
        incr = best(a.repeat, lambda: b.run("tree", "incremental"))
        rows.append(("incremental, nothing changed, tree", incr, None, None, "<= 0.5 s"))
        big_id = b.run("big", "full")
        tree_id = b.run("tree", "full")
        b.drop("tree-1")
        tree1_id = b.run("tree-1", "full")
        for label, bid in (("verify, 2 GiB file (1 destination)", big_id),
                           ("verify, tree (2 destinations)", tree_id),
                           ("verify, tree (1 destination)", tree1_id)):
            files = b.artifacts(bid)
            sha_single(files)
            t_single = best(a.repeat, lambda files=files: sha_single(files))
            nbytes = sum(p.stat().st_size for p in files)

            def verify(bid: int = bid) -> None:
                rep = verify_backups(b.cat, [bid])
                assert rep.all_ok

            t_ours = best(a.repeat, verify)
            target = ">= 0.9" if "file" in label else (
                ">= 1.5" if "2 dest" in label else "(context)")
            rows.append((f"{label}, {nbytes / t_ours / 1e9:.2f} GB/s vs "
                         f"{nbytes / t_single / 1e9:.2f} GB/s", t_ours, t_single,
                         t_single / t_ours, target))
        print(f"\n{'measure':<72} {'ours s':>8} {'base s':>8} {'ratio':>7}  target")
        for label, ours, base_t, ratio, target in rows:
            bs = f"{base_t:8.3f}" if base_t is not None else f"{'':>8}"
            rs = f"{ratio:7.2f}" if ratio is not None else f"{'':>7}"
            print(f"{label:<72} {ours:8.3f} {bs} {rs}  {target}")
        print(f"\ncores: {os.cpu_count()}; best of {a.repeat}; load: {os.getloadavg()}")
        b.cat.dispose()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
