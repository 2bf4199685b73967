"""The file index (issue #19), whole `backupdesk` processes as a user runs them.

    python -m tests.bench.bench_findex [--quick] [--only real|history|million]

1. `find` over 1,000 backups of a 20,000-file plan (about 1% of files changing per backup), and
   over one 1,000,000-entry borg archive. The histories are generated and fed through the same
   feed code as real backups (the archive lists as FileEntry, the borg archive as a
   `borg list --json-lines` stream through BorgListing): building 1,000 real backups or a real
   1M-entry borg archive does not fit in a run here. Their catalogue rows are real records.
   Baseline: `backupdesk plan list` in the same home, alternating with each measured command.
2. Index size: bytes per changed entry (1,000-backup history), growth per unchanged backup.
3. `diff` of two 1,000,000-entry backups (1% changed between them, and all changed).
4. Indexing's share of a real backup's wall time: a 20,000-file archive plan and borg plan,
   incremental runs with 1% changed, and the archive plan's `run --full` (the job log's
   "File index:" line against the whole process's time).
5. `backupdesk diff` against `borg diff` on the same real 20,000-file archives, and `find` and
   `diff` against `restic find` and `restic diff` on restic snapshots of the same tree states
   (restic from Debian's package, `apt-get install restic`; left out with a note when absent).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from tests.bench.common import BENCH_DIR, median_ms

QUICK = "--quick" in sys.argv
REPEAT = 5 if QUICK else 9
BD = [sys.executable, "-m", "core"]
PASS = "bench passphrase"
# The same-run baseline of scenario 4: the archive job's index reads the manifest it has just
# written back from its destination (as before session 8), instead of the engine's bytes.
READ_BACK = [sys.executable, "-c", """
import sys
import core.jobs.backup_end as backup_end
from core.findex import indexing
backup_end.files_of_backup = lambda cat, paths=None, written=None: indexing.files_of_backup(cat)
from core.cli.main import main
sys.exit(main())
"""]


def sh(home: Path, *args: str, env: dict[str, str] | None = None, bd: list[str] = BD) -> str:
    r = subprocess.run([*bd, "--home", str(home), *args], capture_output=True, text=True,
                       env={**os.environ, **(env or {})})
    if r.returncode not in (0, 1):
        raise RuntimeError(f"{args}: {r.returncode} {r.stderr}")
    return r.stdout


def alternate(home: Path, cmd: list[str], base: list[str]) -> tuple[float, float]:
    """Medians (ms) of the command and the baseline, run alternately."""
    a, b = [], []
    for _ in range(REPEAT):
        for out, args in ((a, cmd), (b, base)):
            t = time.perf_counter()
            subprocess.run([*BD, "--home", str(home), *args], capture_output=True, check=False)
            out.append(time.perf_counter() - t)
    return median_ms(a), median_ms(b)


def names(rng: random.Random, n: int) -> list[bytes]:
    words = ["src", "docs", "photos", "2025", "project", "lib", "notes", "music", "build",
             "reports", "mail", "video", "config", "share", "tmp", "work"]
    exts = [".txt", ".pdf", ".jpg", ".py", ".md", ".json", ".png", ".mp3", ".c", ".h"]
    dirs = ["/".join(rng.choice(words) + str(rng.randint(0, 9)) for _ in range(rng.randint(1, 4)))
            for _ in range(max(1, n // 40))]
    return [f"home/user/{rng.choice(dirs)}/file{i:07d}{rng.choice(exts)}".encode()
            for i in range(n)]


def plan_home(tag: str, engine: str = "borg") -> tuple[Path, object, object]:
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from core.plans import add_plan

    home = BENCH_DIR / f"findex-{tag}"
    shutil.rmtree(home, ignore_errors=True)
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    plan = add_plan(cat, "p", engine, sources=["/home/user"], destinations=[],
                    options={"repository": str(home / "repo")})
    return home, cat, plan


def record(cat: object, plan: object, i: int, when: object, files: int) -> int:
    from core.catalogue.archives import ArchiveRecord, record_archive

    rec = ArchiveRecord(f"{i:064x}", f"p-{i:04d}", when, 1, 1, 1, files, {})  # type: ignore[arg-type]
    return record_archive(cat, engine="borg", plan_id=plan.id, plan_name="p",  # type: ignore[attr-defined, arg-type]
                          job_id=None, location=str(plan.options["repository"]),  # type: ignore[attr-defined]
                          archive=rec, made_by_app=True)


def index_size(path: Path) -> int:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path.stat().st_size


def history(backups: int, files: int) -> dict[str, float]:
    """Scenario 1a and 2: the 1,000-backup history."""
    from core.findex.feed import Listing, feed
    from core.findex.indexing import plan_index_path, ref
    from core.findex.store import open_index
    from core.timeutil import iso, utcnow

    rng = random.Random(19)
    home, cat, plan = plan_home("history")
    paths = names(rng, files)
    state = {p: (rng.randint(0, 10 ** 6), 1_700_000_000 * 10 ** 9 + i, rng.getrandbits(48))
             for i, p in enumerate(paths)}
    ix = open_index(plan_index_path(cat, plan.id))  # type: ignore[arg-type, attr-defined]
    start = utcnow() - timedelta(days=backups)
    changed_entries = 0
    size_after_first = 0
    t_feed = []
    for k in range(backups):
        # As archive incrementals are fed: the files written anew (~1%) against the one before.
        listing = Listing([(p, s, m, h) for p, (s, m, h) in state.items()])
        if k:
            listing = Listing([], base=f"p-{k - 1:04d}", total=files)
            for p in rng.sample(paths, files // 100):  # ~1% changed
                s, m, _h = state[p]
                state[p] = (s + rng.randint(1, 999), m + 10 ** 9 * k, rng.getrandbits(48))
                listing.files.append((p, *state[p]))
            changed_entries += files // 100
        when = start + timedelta(days=k)
        bid = record(cat, plan, k, when, files)
        t = time.perf_counter()
        feed(ix, ref(bid), f"p-{k:04d}", iso(when) or "", listing)
        t_feed.append(time.perf_counter() - t)
        if k == 0:
            ix.close()
            size_after_first = index_size(ix.path)
            ix = open_index(ix.path)
    ix.close()
    size_end = index_size(ix.path)
    # Growth of unchanged backups: 100 more with nothing changed.
    ix = open_index(ix.path)
    for k in range(backups, backups + 100):
        when = start + timedelta(days=k)
        bid = record(cat, plan, k, when, files)
        feed(ix, ref(bid), f"p-{k:04d}", iso(when) or "",
             Listing([], base=f"p-{k - 1:04d}", total=files))
    ix.close()
    size_unchanged = index_size(ix.path)
    cat.dispose()  # type: ignore[attr-defined]
    target = paths[len(paths) * 5 // 8].rsplit(b"/", 1)[1].decode()
    find_ms, base_ms = alternate(home, ["find", target], ["plan", "list"])
    find_glob_ms, _ = alternate(home, ["find", "file0012*.pdf"], ["plan", "list"])
    out = sh(home, "find", target, "--json")
    versions = len(json.loads(out)["versions"])
    return {"history_index_bytes": size_end, "history_first_bytes": size_after_first,
            "bytes_per_changed_entry": (size_end - size_after_first) / changed_entries,
            "bytes_per_unchanged_backup": (size_unchanged - size_end) / 100,
            "feed_ms_median": median_ms(t_feed[1:]),
            "find_name_ms": find_ms, "find_glob_ms": find_glob_ms, "baseline_ms": base_ms,
            "versions_found": versions}


def json_lines(paths: list[bytes], sizes: list[int], stamp: str) -> list[bytes]:
    return [json.dumps({"type": "-", "mode": "-rw-r--r--", "user": "u", "group": "u",
                        "uid": 1000, "gid": 1000, "path": p.decode(), "healthy": True,
                        "source": "", "linktarget": "", "flags": 0, "size": s,
                        "mtime": stamp}).encode() for p, s in zip(paths, sizes, strict=True)]


def million(n: int) -> dict[str, float]:
    """Scenarios 1b and 3: one and two 1M-entry borg archives, fed from json-lines."""
    from core.findex.feed import BorgListing, feed
    from core.findex.indexing import plan_index_path, ref
    from core.findex.store import open_index
    from core.timeutil import iso, utcnow

    rng = random.Random(7)
    home, cat, plan = plan_home("million")
    paths = names(rng, n)
    sizes = [rng.randint(0, 10 ** 7) for _ in range(n)]
    ix = open_index(plan_index_path(cat, plan.id))  # type: ignore[arg-type, attr-defined]
    stream = json_lines(paths, sizes, "2026-11-01T10:00:00.000000")
    t = time.perf_counter()
    sink = BorgListing()
    for line in stream:
        sink.add_line(line)
    when = utcnow() - timedelta(days=3)
    a = record(cat, plan, 0, when, n)
    feed(ix, ref(a), "p-0000", iso(when) or "", sink.files)
    first_feed = time.perf_counter() - t
    del stream
    size_one = index_size(ix.path)
    # A second archive: 1% changed.
    for i in rng.sample(range(n), n // 100):
        sizes[i] += 1
    sink = BorgListing()
    for line in json_lines(paths, sizes, "2026-11-01T10:00:00.000000"):
        sink.add_line(line)
    t = time.perf_counter()
    b = record(cat, plan, 1, when + timedelta(days=1), n)
    feed(ix, ref(b), "p-0001", iso(when + timedelta(days=1)) or "", sink.files)
    second_feed = time.perf_counter() - t
    # A third: every entry changed.
    sink = BorgListing()
    for line in json_lines(paths, [s + 1 for s in sizes], "2026-11-02T10:00:00.000000"):
        sink.add_line(line)
    c = record(cat, plan, 2, when + timedelta(days=2), n)
    feed(ix, ref(c), "p-0002", iso(when + timedelta(days=2)) or "", sink.files)
    ix.close()
    cat.dispose()  # type: ignore[attr-defined]
    target = paths[len(paths) * 2 // 3].rsplit(b"/", 1)[1].decode()
    find_ms, base_ms = alternate(home, ["find", target], ["plan", "list"])
    diff1_ms, _ = alternate(home, ["diff", str(a), str(b), "--json"], ["plan", "list"])
    diff_all_ms, _ = alternate(home, ["diff", str(b), str(c), "--json"], ["plan", "list"])
    return {"million_first_feed_s": first_feed, "million_second_feed_s": second_feed,
            "million_index_bytes_one": size_one, "million_find_ms": find_ms,
            "million_baseline_ms": base_ms, "million_diff_1pct_ms": diff1_ms,
            "million_diff_all_ms": diff_all_ms}


def make_tree(root: Path, n: int) -> list[Path]:
    rng = random.Random(3)
    out = []
    for i in range(n):
        d = root / f"d{i % 50:02d}" / f"e{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        f = d / f"f{i:06d}.dat"
        f.write_bytes(rng.randbytes(rng.randint(10, 2000)))
        out.append(f)
    return out


def index_line_s(home: Path, job_id: int) -> float:
    from core.catalogue import open_catalogue
    from core.catalogue.jobs import job_log
    from core.config import AppConfig

    cat = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
    try:
        text = job_log(cat, job_id) or ""
    finally:
        cat.dispose()
    m = re.search(r"File index: .*\(([\d.]+) s\)", text)
    return float(m.group(1)) if m else float("nan")


def real_backups(n: int) -> dict[str, float]:
    """Scenarios 4 and 5 on real backups of an n-file tree."""
    root = BENCH_DIR / "findex-real"
    shutil.rmtree(root, ignore_errors=True)
    src = root / "src"
    files = make_tree(src, n)
    home = root / "home"
    env = {"BACKUPDESK_PASSPHRASE": PASS, "BORG_BASE_DIR": str(root / "borg-base"),
           "BACKUPDESK_SECRETS_FILE_ONLY": "1"}
    sh(home, "plan", "add", "arc", "--engine", "archive", "--source", str(src), "--dest",
       str(root / "dest"))
    sh(home, "plan", "add", "brg", "--engine", "borg", "--repo", str(root / "repo"),
       "--source", str(src), "--init", env=env)
    out: dict[str, float] = {}
    rng = random.Random(5)
    restic = Restic(root) if shutil.which("restic") else None
    if restic is None:
        print("restic is not installed: no restic comparison (apt-get install restic)",
              file=sys.stderr)
    for plan in ("arc", "brg"):
        json.loads(sh(home, "run", plan, "--json", env=env))
        if plan == "brg" and restic is not None:
            restic.backup(src)
        ways = {"": BD, "_read_back": READ_BACK} if plan == "arc" else {"": BD}
        for full in ((False, True) if plan == "arc" else (False,)):
            shares: dict[str, list[float]] = {w: [] for w in ways}
            for i in range(3 if QUICK else 5):
                for way in sorted(ways, reverse=i % 2 == 1):  # alternating, the order rotated
                    for f in rng.sample(files, n // 100):
                        f.write_bytes(rng.randbytes(rng.randint(10, 2000)))
                    t = time.perf_counter()
                    job = json.loads(sh(home, "run", plan, *(["--full"] if full else []),
                                        "--json", env=env, bd=ways[way]))
                    wall = time.perf_counter() - t
                    shares[way].append(index_line_s(home, job["id"]) / wall)
                    if plan == "brg" and restic is not None:
                        restic.backup(src)  # a snapshot of each state borg archived
            for way, got in shares.items():
                out[f"{plan}{'_full' if full else ''}{way}_index_share_pct"] = \
                    100 * sorted(got)[len(got) // 2]
    # backupdesk diff against borg diff on the last two borg archives.
    arcs = [b for b in json.loads(sh(home, "backups", "--plan", "brg", "--json"))]
    arcs.sort(key=lambda b: b["id"])
    a, b = arcs[-2], arcs[-1]
    benv = {**os.environ, **env, "BORG_PASSPHRASE": PASS}
    bd, bg = [], []
    for _ in range(REPEAT):
        t = time.perf_counter()
        subprocess.run([*BD, "--home", str(home), "diff", str(a["id"]), str(b["id"]), "--json"],
                       capture_output=True, check=True, env={**os.environ, **env})
        bd.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(["borg", "diff", f"{root / 'repo'}::{a['name']}", b["name"]],
                       capture_output=True, check=True, env=benv)
        bg.append(time.perf_counter() - t)
    out["real_diff_ms"], out["borg_diff_ms"] = median_ms(bd), median_ms(bg)
    if restic is not None:
        out.update(restic.compare(home, files, env, (a["id"], b["id"])))
    return out


class Restic:
    """A restic repository beside the borg one, with a snapshot of each tree state the borg
    plan archived: `restic find` and `restic diff` against ours, whole processes alternating."""

    def __init__(self, root: Path) -> None:
        (root / "restic-pass").write_text(PASS)
        self.env = {**os.environ, "RESTIC_REPOSITORY": str(root / "restic"),
                    "RESTIC_PASSWORD_FILE": str(root / "restic-pass"),
                    "RESTIC_CACHE_DIR": str(root / "restic-cache")}
        subprocess.run(["restic", "init"], env=self.env, capture_output=True, check=True)

    def backup(self, src: Path) -> None:
        subprocess.run(["restic", "backup", "--quiet", str(src)], env=self.env,
                       capture_output=True, check=True)

    def compare(self, home: Path, files: list[Path], env: dict[str, str],
                ours: tuple[int, int]) -> dict[str, float]:
        snaps = json.loads(subprocess.run(["restic", "snapshots", "--json"], env=self.env,
                                          capture_output=True, check=True).stdout)
        snaps.sort(key=lambda s: s["time"])
        name = files[len(files) // 3].name
        pairs = {"find": ([*BD, "--home", str(home), "find", name, "--plan", "brg"],
                          ["restic", "find", name]),
                 "diff": ([*BD, "--home", str(home), "diff", str(ours[0]), str(ours[1])],
                          ["restic", "diff", snaps[-2]["short_id"], snaps[-1]["short_id"]])}
        out: dict[str, float] = {"restic_snapshots": len(snaps)}
        for what, (mine, theirs) in pairs.items():
            a: list[float] = []
            b: list[float] = []
            for _ in range(REPEAT):
                for times, cmd, e in ((a, mine, {**os.environ, **env}), (b, theirs, self.env)):
                    t = time.perf_counter()
                    subprocess.run(cmd, capture_output=True, check=True, env=e)
                    times.append(time.perf_counter() - t)
            out[f"restic_cmp_{what}_ms"], out[f"restic_{what}_ms"] = median_ms(a), median_ms(b)
        return out


def main() -> None:
    """`--only real|history|million` runs one part."""
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    parts = {"real": lambda: real_backups(2_000 if QUICK else 20_000),
             "history": lambda: history(100 if QUICK else 1_000, 2_000 if QUICK else 20_000),
             "million": lambda: million(100_000 if QUICK else 1_000_000)}
    results: dict[str, float] = {}
    for name, part in parts.items():
        if only in (None, name):
            results.update(part())
            print(json.dumps(results, indent=1), flush=True)


if __name__ == "__main__":
    main()
