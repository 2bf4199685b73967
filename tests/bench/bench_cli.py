"""The command a user types (issue #17), run on demand from the repository root:

    python tests/bench/bench_cli.py [--only FIGURE ...] [--files 20000] [--big-mib 2048]
                                    [--runs 7] [--trace-borg]

Every figure times whole `backupdesk` processes (the venv's console script, else
`python -m core.cli.main`) on a throwaway `--home`, with the plan options `plan add` gives
when only what a user must say is said, against a baseline timed in the same run: medians of
runs alternating which side goes first. FIGURE is one of

  incremental  `run PLAN --incremental` of an unchanged tree of --files files (target <= 0.5 s;
               `backupdesk --version` is shown beside it)
  full         `run PLAN --full` of that tree vs `tar -cf - TREE | zstd -3 -T0 > OUT`
  verify       `verify --all` of a backup of one --big-mib MiB file (the archive benchmark's
               data, about half compressible) vs one hashlib pass (`hashlib.file_digest`, a
               whole Python process) over the same artifacts
  borg         a borg plan's `run` (no keep rules) vs `borg create` of the same unchanged tree
               into a repository set up the same way (repokey, lz4); --trace-borg lists the
               borg invocations one run makes, with their times
  fixed        `run PLAN` on a one-file plan minus `backupdesk --version`

Each figure also prints the CPU time of both sides (user + system of the whole process tree,
medians): on a shared machine wall times wait for a core, CPU times much less so.

Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_archive import make_big, make_tree

FIGURES = ("incremental", "full", "verify", "borg", "fixed")
REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "bench-passphrase"


def backupdesk() -> list[str]:
    """This checkout's command: its venv's console script, else `python -m` from the checkout
    (run from another checkout's copy, this measures that copy)."""
    script = Path(sys.executable).parent / "backupdesk"
    if script.exists() and Path(sys.executable).parent.parent.resolve() == REPO / ".venv":
        return [str(script)]
    return [sys.executable, "-m", "core.cli.main"]


# As a user's processes run: with their bytecode cached (a checkout's is written by its first
# run here), not compiled again each time.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sh(argv: list[str] | str, env: dict[str, str] | None = None,
       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, shell=isinstance(argv, str), check=True, capture_output=True,
                          text=True, cwd=REPO, stdin=subprocess.DEVNULL, env={**ENV, **(env or {})})


class Home:
    """One throwaway home; `bd(...)` runs a backupdesk process in it."""

    def __init__(self, base: Path, name: str) -> None:
        self.base, self.path = base, base / f"home-{name}"
        self.env = {"BACKUPDESK_PASSPHRASE": PASSPHRASE}

    def bd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return sh([*backupdesk(), "--home", str(self.path), *args], self.env)

    def artifacts(self, plan: str) -> list[Path]:
        items = json.loads(self.bd("backups", "--plan", plan, "--json").stdout)
        return [Path(loc["path"]) / a["name"] for b in items for loc in b["locations"]
                for a in b["artifacts"]]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system of every process it ran, waited for)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    fn()
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime


def alternate(runs: int, ours: Callable[[], object], base: Callable[[], object],
              ) -> tuple[float, float]:
    """Medians (ours, baseline) of `runs` pairs' wall times, alternating which side goes
    first; their CPU times are printed beside (on a shared machine the figure to trust)."""
    a: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    for i in range(runs):
        if i % 2:
            b.append(timed(base))
            a.append(timed(ours))
        else:
            a.append(timed(ours))
            b.append(timed(base))
    ca, cb = (statistics.median(c for _, c in x) for x in (a, b))
    print(f"  CPU (user + system, medians): ours {ca:.3f} s, baseline {cb:.3f} s, "
          f"{ca / cb:.2f}x", flush=True)
    return statistics.median(w for w, _ in a), statistics.median(w for w, _ in b)


Row = tuple[str, float, str, float, str, str]  # figure, ours, baseline, its time, result, target


def fig_incremental(base: Path, tree: Path, runs: int) -> Row:
    h = Home(base, "incr")
    h.bd("plan", "add", "tree", "--engine", "archive", "--source", str(tree),
         "--dest", str(base / "dest-incr"))
    h.bd("run", "tree")
    ours, ver = alternate(runs, lambda: h.bd("run", "tree", "--incremental"),
                          lambda: h.bd("--version"))
    job = json.loads(h.bd("run", "tree", "--incremental", "--json").stdout)["duration_ms"]
    print(f"the job itself (its recorded duration, one more run): {job / 1000:.3f} s")
    return ("`run` unchanged tree (incremental)", ours, "`backupdesk --version`", ver,
            f"{ours:.3f} s", "<= 0.5 s")


def fig_full(base: Path, tree: Path, runs: int) -> Row:
    h = Home(base, "full")
    dest = base / "dest-full"
    h.bd("plan", "add", "tree", "--engine", "archive", "--source", str(tree), "--dest", str(dest))
    out = base / "baseline.tar.zst"
    tar = f"tar -cf - '{tree}' | zstd -3 -T0 > '{out}'"
    sh(tar)  # the page cache holds the tree for both sides

    def ours() -> None:
        h.bd("run", "tree", "--full")

    def baseline() -> None:
        sh(tar)
        out.unlink()

    o, b = alternate(runs, ours, baseline)
    job = json.loads(h.bd("run", "tree", "--full", "--json").stdout)["duration_ms"] / 1000
    print(f"the job itself (its recorded duration, one more run): {job:.3f} s, "
          f"{job / b:.2f}x the baseline's median")
    return ("`run --full` of the tree", o, "`tar -cf - TREE | zstd -3 -T0 > OUT`", b,
            f"{o / b:.2f}x", "<= 1.15x")


def fig_verify(base: Path, big_mib: int, runs: int) -> Row:
    src = base / "bigsrc"
    src.mkdir()
    make_big(src / "big.bin", big_mib << 20)
    h = Home(base, "verify")
    h.bd("plan", "add", "big", "--engine", "archive", "--source", str(src),
         "--dest", str(base / "dest-verify"))
    h.bd("run", "big")
    (src / "big.bin").unlink()  # its page cache is no help to either side
    arts = [str(p) for p in h.artifacts("big")]
    size = sum(os.path.getsize(p) for p in arts)
    one_pass = ("import hashlib, sys\nfor p in sys.argv[1:]:\n"
                "    with open(p, 'rb') as f:\n        hashlib.file_digest(f, 'sha256')")
    o, b = alternate(runs, lambda: h.bd("verify", "--all"),
                     lambda: sh([sys.executable, "-c", one_pass, *arts]))
    return (f"`verify --all`, {size / 2**30:.2f} GiB of artifacts", o,
            "one hashlib pass, whole process", b, f"{b / o:.2f}x throughput", ">= 0.9x")


def _borg_wrapper(base: Path) -> tuple[Path, Path]:
    """A `borg` that logs each invocation's start and end (ns since the epoch) and its
    arguments, then runs the real one."""
    log = base / "borg-calls.log"
    real = shutil.which("borg")
    assert real, "borg is not installed"
    wrapper = base / "borg-traced"
    wrapper.write_text(
        "#!/bin/sh\n"
        "t0=$(date +%s%N)\n"
        f"'{real}' \"$@\"\nrc=$?\n"
        f"echo \"$t0 $(date +%s%N) borg $*\" >> '{log}'\n"
        "exit $rc\n")
    wrapper.chmod(0o755)
    return wrapper, log


def _trace_borg(base: Path, h: Home) -> None:
    """Where one plan run's time goes: before, in and after each borg invocation."""
    wrapper, log = _borg_wrapper(base)
    h.env["BACKUPDESK_BORG"] = str(wrapper)
    h.bd("run", "b")  # a new binary is checked once: trace the run after
    log.unlink()
    start = time.time_ns()
    h.bd("run", "b")
    end = time.time_ns()
    print("one `backupdesk run` of the borg plan (ms from the process's start):")
    last = start
    for line in log.read_text().splitlines():
        t0, t1, args = line.split(" ", 2)
        print(f"  {(int(t0) - start) / 1e6:7.0f} .. {(int(t1) - start) / 1e6:7.0f}  "
              f"(Backup Desk alone before it: {(int(t0) - last) / 1e6:.0f} ms) {args[:60]}")
        last = int(t1)
    print(f"  {(end - start) / 1e6:7.0f}  process ended ({(end - last) / 1e6:.0f} ms after the "
          "last borg)")


def fig_borg(base: Path, tree: Path, runs: int, trace: bool) -> Row:
    h = Home(base, "borg")
    env = {"BORG_PASSPHRASE": PASSPHRASE, "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"}
    direct = base / "repo-direct"
    sh(["borg", "init", "--encryption", "repokey", str(direct)], env)
    h.bd("plan", "add", "b", "--engine", "borg", "--source", str(tree),
         "--repo", str(base / "repo-bd"), "--init")
    n = [0]

    def borg_create() -> None:
        n[0] += 1
        sh(["borg", "create", "--compression", "lz4", f"{direct}::a{n[0]}", str(tree)], env)

    h.bd("run", "b")  # the first archives: later ones find everything unchanged
    borg_create()
    o, b = alternate(runs, lambda: h.bd("run", "b"), borg_create)
    if trace:
        _trace_borg(base, h)
    return ("borg plan `run`, unchanged tree, no keep rules", o,
            "`borg create` of the same, same repo kind", b, f"{o / b:.2f}x", "<= 1.05x")


HEAVY = ("sqlalchemy", "alembic", "keyring", "croniter", "dateutil", "zstandard", "asyncio")


def import_profile(h: Home, *args: str) -> str:
    """`python -X importtime` of one command: all imports, and the part of each heavy
    library (its own modules' self time, wherever it was imported from)."""
    err = sh([sys.executable, "-X", "importtime", "-m", "core.cli.main", "--home", str(h.path),
              *args], h.env).stderr
    total, parts = 0, dict.fromkeys(HEAVY, 0)
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[12:].split("|")
        if not name.startswith("  "):  # top level: its cumulative time counts once
            total += int(cumulative)
        top = name.strip().split(".")[0]
        if top in parts:
            parts[top] += int(own)
    shares = ", ".join(f"{k} {v / 1000:.0f} ms" for k, v in parts.items() if v)
    return f"imports of `{' '.join(args)}`: {total / 1000:.0f} ms, of which {shares}"


def fig_fixed(base: Path, runs: int) -> Row:
    src = base / "one"
    src.mkdir()
    (src / "file.txt").write_text("one file\n")
    h = Home(base, "fixed")
    h.bd("plan", "add", "one", "--engine", "archive", "--source", str(src),
         "--dest", str(base / "dest-one"))
    h.bd("run", "one")
    o, b = alternate(runs, lambda: h.bd("run", "one"), lambda: h.bd("--version"))
    print(import_profile(h, "run", "one"))
    print(import_profile(h, "verify", "--all"))
    return ("fixed cost: `run` of a one-file plan", o, "`backupdesk --version`", b,
            f"+{(o - b) * 1000:.0f} ms", "<= +150 ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=FIGURES, help="this figure (repeatable)")
    ap.add_argument("--files", type=int, default=20_000, help="files in the tree (20,000)")
    ap.add_argument("--big-mib", type=int, default=2048, help="the verify source, MiB (2048)")
    ap.add_argument("--runs", type=int, default=7, help="runs of each side (7)")
    ap.add_argument("--trace-borg", action="store_true",
                    help="also list the borg invocations of one plan run")
    a = ap.parse_args()
    which = a.only or list(FIGURES)
    base = Path(tempfile.mkdtemp(prefix="bd-bench-cli-", dir="/tmp"))
    rows: list[Row] = []
    try:
        tree = base / "tree"
        if {"incremental", "full", "borg"} & set(which):
            t = time.perf_counter()
            nbytes = make_tree(tree, a.files)
            print(f"tree: {a.files:,} files, {nbytes / 1e6:.0f} MB "
                  f"({time.perf_counter() - t:.0f} s to make)", flush=True)
        for fig in which:
            if fig == "incremental":
                rows.append(fig_incremental(base, tree, a.runs))
            elif fig == "full":
                rows.append(fig_full(base, tree, a.runs))
            elif fig == "verify":
                rows.append(fig_verify(base, a.big_mib, a.runs))
            elif fig == "borg":
                rows.append(fig_borg(base, tree, a.runs, a.trace_borg))
            else:
                rows.append(fig_fixed(base, a.runs))
            print(f"{rows[-1][0]}: {rows[-1][4]}", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("\n| figure (whole process, defaults) | ours (median) | baseline (median) | "
          "result | target |\n|---|---|---|---|---|")
    for fig, ours, bname, btime, result, target in rows:
        print(f"| {fig} | {ours:.3f} s | {bname}: {btime:.3f} s | {result} | {target} |")
    print(f"\n{' '.join(backupdesk())}; {a.runs} runs each side, alternating; "
          f"cores {os.cpu_count()}; load {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
