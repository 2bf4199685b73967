"""How long borg stays silent while it works, run on demand:
`python tests/bench/bench_borg_silence.py [--files N] [--big-mib M]`.

Backup Desk stops create/extract/check/compact/delete/prune when borg says nothing for
BACKUPDESK_BORG_IDLE_TIMEOUT (600 s): this prints the longest gap between borg's stderr lines
(with `--log-json --progress`, as Backup Desk runs it) per command on a generated tree, to
check that bound leaves a wide margin. Data lives under /tmp and is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def longest_silence(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(longest gap between stderr lines, total seconds) of one borg command."""
    p = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env,
                         stdin=subprocess.DEVNULL, cwd=cwd)
    assert p.stderr is not None
    start = last = time.monotonic()
    worst = 0.0
    for _ in p.stderr:
        now = time.monotonic()
        worst, last = max(worst, now - last), now
    end = time.monotonic()
    if p.wait() != 0:
        raise SystemExit(f"{argv[1]} failed")
    return max(worst, end - last), end - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--big-mib", type=int, default=400)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="borg-silence-"))
    try:
        src, repo, out = tmp / "src", str(tmp / "repo"), tmp / "out"
        for i in range(a.files):
            d = src / f"d{i // 1000}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i}").write_bytes(os.urandom(2000))
        with open(src / "big", "wb") as f:
            for _ in range(a.big_mib):
                f.write(os.urandom(1 << 20))
        out.mkdir()
        env = {**os.environ, "BORG_PASSPHRASE": "bench", "BORG_BASE_DIR": str(tmp / "base")}
        subprocess.run(["borg", "init", "-e", "repokey", repo], env=env, check=True,
                       capture_output=True)
        j = ["--log-json", "--progress"]
        for argv in (["create", *j, f"{repo}::a1", str(src)],
                     ["create", *j, f"{repo}::a2", str(src)],
                     ["check", *j, f"{repo}::a1"],
                     ["check", *j, "--verify-data", repo],
                     ["extract", *j, f"{repo}::a1"],
                     ["delete", *j, f"{repo}::a2"],
                     ["compact", *j, repo]):
            gap, total = longest_silence(["borg", *argv], env, out)
            label = " ".join([argv[0], *(x for x in argv[1:] if x.startswith("--v"))])
            print(f"{label}: longest silence {gap:.2f} s "
                  f"of {total:.1f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
