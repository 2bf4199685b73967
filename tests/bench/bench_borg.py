"""Borg engine benchmark, run on demand: `python tests/bench/bench_borg.py [create|browse|all]`.

create: on the archive engine's 20,000-file tree, a backup through Backup Desk (run_plan: the
        whole job, prune/compact off) vs the same `borg create` run directly, both for the first
        archive and for a second with nothing changed; interleaved, best of N, same run.
whole:  as a user runs it: the whole `backupdesk run` process of a borg plan (default options:
        repokey, lz4, no keep rules; secrets in the 0600 file) vs the whole `borg create` of the
        same unchanged 20,000-file tree into its own repository; alternating, median, same run.
browse: on an archive of 1,000,000 entries (built once under BACKUPDESK_BENCH_DIR and kept):
        `borg list --json-lines` alone (baseline) vs the browser's core (stream into the
        ArchiveTree, first top-level entry, whole tree) and its peak RSS; then the Qt model on
        top (offscreen), time to the first row of the top level.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_archive import make_tree
from tests.bench.common import BENCH_DIR

ENV = {**os.environ, "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}


def borg(*args: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(["borg", *args], check=True, env=ENV, stdin=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload, no-any-return]


def bench_create(repeat: int, with_progress: bool = False) -> None:
    """with_progress: as the GUI runs a plan (borg's --progress lines parsed and reported)."""
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from core.jobs.repository import run_plan as run_borg_plan
    from core.jobs.repository import setup_repository
    from core.plans import add_plan
    from core.progress import Progress, no_progress

    reports: list[Progress] = []
    print("with progress reports (as in the GUI)" if with_progress else
          "without a progress listener (as on the command line)")
    base = Path(tempfile.mkdtemp(prefix="bd-borg-bench-", dir="/tmp"))
    tree = base / "tree"
    t = time.perf_counter()
    make_tree(tree, 20_000)
    print(f"tree: 20,000 files ({time.perf_counter() - t:.0f} s to make)")
    cfg = AppConfig.resolve(str(base / "home"))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    os.environ["BACKUPDESK_SECRETS_FILE_ONLY"] = "1"
    first_bd: list[float] = []
    first_direct: list[float] = []
    second_bd: list[float] = []
    second_direct: list[float] = []
    for i in range(repeat):
        direct_repo, bd_repo = base / f"direct{i}", base / f"bd{i}"
        borg("init", "-e", "none", str(direct_repo))
        borg("init", "-e", "none", str(bd_repo))
        plan = add_plan(cat, f"bench{i}", "borg", sources=[str(tree)], destinations=[],
                        options={"repository": str(bd_repo), "encryption": "none",
                                 "compression": "lz4", "prune": False, "compact": False})
        setup_repository(cat, cfg.paths, plan, create=False)  # as `plan add --existing` does
        for first, bd_times, direct_times in ((True, first_bd, first_direct),
                                              (False, second_bd, second_direct)):
            def direct(first: bool = first, direct_times: list[float] = direct_times,
                       direct_repo: Path = direct_repo) -> None:
                t = time.perf_counter()
                borg("create", "--compression", "lz4", f"{direct_repo}::a{int(first)}",
                     str(tree))
                direct_times.append(time.perf_counter() - t)

            def through_bd(bd_times: list[float] = bd_times, plan: object = plan) -> None:
                t = time.perf_counter()
                out = run_borg_plan(cat, cfg.paths, plan, progress=reports.append
                                    if with_progress else no_progress)
                bd_times.append(time.perf_counter() - t)
                assert out.status == "success", out.error

            for step in ((direct, through_bd) if i % 2 == 0 else (through_bd, direct)):
                step()
    for name, bd, direct in (("first archive", first_bd, first_direct),
                             ("second, nothing changed", second_bd, second_direct)):
        runs = (f"all runs: bd {', '.join(f'{x:.2f}' for x in bd)}; "
                f"direct {', '.join(f'{x:.2f}' for x in direct)}")
        mb, md = statistics.median(bd), statistics.median(direct)
        print(f"create, {name}: Backup Desk best {min(bd):.3f} s / median {mb:.3f} s, borg "
              f"directly best {min(direct):.3f} s / median {md:.3f} s, ratio of bests "
              f"{min(bd) / min(direct):.3f}, of medians {mb / md:.3f}, median of per-pair "
              f"ratios {statistics.median(b / d for b, d in zip(bd, direct, strict=True)):.3f}"
              f" (target <= 1.05; {runs})")
    print(f"fixed cost per job (second archive): {1000 * (min(second_bd) - min(second_direct)):.0f}"
          " ms (target <= 50 ms)")
    cat.dispose()
    subprocess.run(["rm", "-rf", str(base)], check=False)


PASSPHRASE = "bench passphrase, not a secret"


def bench_whole(repeat: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="bd-borg-whole-", dir="/tmp"))
    tree, home = base / "tree", base / "home"
    make_tree(tree, 20_000)
    env = {**os.environ, "BORG_PASSPHRASE": PASSPHRASE, "BACKUPDESK_PASSPHRASE": PASSPHRASE,
           "BACKUPDESK_SECRETS_FILE_ONLY": "1"}
    env.pop("BORG_BASE_DIR", None)
    env["HOME"] = str(base / "user")  # the direct borg's cache and keys, as a user's
    exe = str(Path(sys.executable).with_name("backupdesk"))

    def run(argv: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return time.perf_counter() - t

    run(["borg", "init", "-e", "repokey", str(base / "direct")])
    run([exe, "--home", str(home), "plan", "add", "bench", "--engine", "borg", "--repo",
         str(base / "bd"), "--source", str(tree), "--init"])
    bd_run = [exe, "--home", str(home), "run", "bench"]
    n = [0]

    def direct() -> float:
        n[0] += 1
        return run(["borg", "create", "--compression", "lz4", f"{base / 'direct'}::a{n[0]}",
                    str(tree)])

    direct()
    run(bd_run)  # the first archives: caches warm, the tree unchanged from here on
    bd: list[float] = []
    straight: list[float] = []
    version: list[float] = []  # the process's fixed cost: start-up and imports
    for i in range(repeat):
        for side in ((bd_run, None) if i % 2 == 0 else (None, bd_run)):
            if side is None:
                straight.append(direct())
            else:
                bd.append(run(side))
        version.append(run([exe, "--version"]))
    mb, md, mv = (statistics.median(x) for x in (bd, straight, version))
    print(f"whole process, unchanged 20,000-file tree: `backupdesk run` median {mb:.3f} s, "
          f"`borg create` median {md:.3f} s, ratio {mb / md:.3f} (target <= 1.05); "
          f"`backupdesk --version` median {mv:.3f} s; runs: bd "
          f"{', '.join(f'{x:.2f}' for x in bd)}; borg {', '.join(f'{x:.2f}' for x in straight)}")
    subprocess.run(["rm", "-rf", str(base)], check=False)


def million_repo(n: int = 1_000_000) -> tuple[Path, str]:
    """A repository holding one archive of n entries (made once, then reused)."""
    home = BENCH_DIR / f"borg-{n}"
    repo, marker = home / "repo", home / "ready"
    if not marker.exists():
        subprocess.run(["rm", "-rf", str(home)], check=False)
        src = home / "src"
        t = time.perf_counter()
        per = 1000
        for d in range(n // per):
            sub = src / f"d{d // 100:02d}" / f"d{d:04d}"
            sub.mkdir(parents=True)
            for f in range(per - (1 if d % 100 == 0 else 0) - 1):
                (sub / f"file-{f:04d}.txt").touch()
        borg("init", "-e", "none", str(repo))
        borg("create", "--compression", "lz4", f"{repo}::million", str(src))
        subprocess.run(["rm", "-rf", str(src)], check=False)
        marker.write_text("ok")
        print(f"(built the {n:,}-entry archive in {time.perf_counter() - t:.0f} s)",
              file=sys.stderr)
    return repo, "million"


def bench_browse(repeat: int) -> None:
    from core.engines.borg import ops
    from core.engines.borg.process import BorgEnv
    from core.engines.borg.repo import RepoSettings
    from core.engines.borg.tree import ArchiveTree
    from core.progress import Progress

    repo, archive = million_repo()
    s = RepoSettings.from_options({"repository": str(repo), "encryption": "none"})
    env = BorgEnv(extra={"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"})
    baselines, wholes, firsts = [], [], []
    for _ in range(repeat):  # interleaved: the machine's load changes over a minute
        t = time.perf_counter()
        borg("list", "--json-lines", f"{repo}::{archive}", stdout=subprocess.DEVNULL)
        baselines.append(time.perf_counter() - t)
        tree = ArchiveTree()
        first: list[float] = []
        start = time.perf_counter()

        def progress(p: Progress, tree: ArchiveTree = tree, first: list[float] = first,
                     start: float = start) -> None:
            if not first and tree.child_ids(0):
                first.append(time.perf_counter() - start)

        ops.stream_contents(s, env, archive, tree, progress=progress)
        wholes.append(time.perf_counter() - start)
        firsts.append(first[0])
        del tree
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    base, whole = min(baselines), min(wholes)
    print(f"borg list --json-lines alone: best {base:.1f} s "
          f"({', '.join(f'{x:.1f}' for x in baselines)})")
    print(f"browser core: top level after {max(firsts):.2f} s at worst (target <= 1 s), whole "
          f"tree best {whole:.1f} s ({', '.join(f'{x:.1f}' for x in wholes)}) = "
          f"{whole / base:.2f}x borg's listing (target <= 1.2x), peak RSS {rss:.0f} MiB "
          f"(target <= 500 MiB)")


def bench_browse_qt() -> None:
    """The model and view on top (offscreen): top level on screen, then the whole tree."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QTreeView

    from core.engines.borg import ops
    from core.engines.borg.process import BorgEnv
    from core.engines.borg.repo import RepoSettings
    from core.engines.borg.tree import ArchiveTree
    from gui.panes.backups.archive_tree import ArchiveTreeModel
    from gui.panes.backups.browser import TICK_MS
    from gui.workers import Workers

    app = QApplication.instance() or QApplication([])
    repo, archive = million_repo()
    s = RepoSettings.from_options({"repository": str(repo), "encryption": "none"})
    env = BorgEnv(extra={"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"})
    tree = ArchiveTree()
    model = ArchiveTreeModel(tree)
    view = QTreeView()
    view.setUniformRowHeights(True)
    view.setModel(model)
    view.resize(800, 600)
    view.show()
    workers = Workers()
    loop = QEventLoop()
    marks: dict[str, float] = {}
    start = time.perf_counter()

    def tick() -> None:  # as gui/panes/backups/browser.py does
        model.grow()
        if "top" not in marks and model.rowCount() > 0:
            view.viewport().repaint()
            marks["top"] = time.perf_counter() - start

    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)
    ticker.start()

    def on_done(_: object) -> None:
        ticker.stop()
        model.grow()
        marks["whole"] = time.perf_counter() - start
        loop.quit()

    workers.submit(ops.stream_contents, s, env, archive, tree,
                   on_result=on_done, on_error=lambda e: loop.quit())
    loop.exec()
    workers.wait()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Qt view: top level on screen after {marks['top']:.2f} s (target <= 1 s), whole "
          f"tree {marks['whole']:.1f} s, peak RSS {rss:.0f} MiB")
    del app


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all",
                    choices=("create", "create-progress", "whole", "browse", "browse-qt",
                             "all", "prepare"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if a.what == "prepare":
        million_repo()
    if a.what in ("create", "all"):
        bench_create(a.repeat)
    if a.what in ("create-progress", "all"):
        bench_create(a.repeat, with_progress=True)
    if a.what in ("whole", "all"):
        bench_whole(max(a.repeat, 7))
    if a.what in ("browse", "all"):
        bench_browse(a.repeat)
    if a.what in ("browse-qt", "all"):
        bench_browse_qt()
    return 0


if __name__ == "__main__":
    sys.exit(main())
