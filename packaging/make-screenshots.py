"""Build a home holding real backups, then render every pane of the README.

    python packaging/make-screenshots.py [--out docs/screenshots] [--exe backupdesk]

Generated data, archive-engine plans made with `backupdesk plan add`, runs made with
`backupdesk run` (fulls, incrementals, partial jobs, a failed one), two remote nodes served
by local status daemons on 127.0.0.1, then `backupdesk screenshot` for each pane.
`--exe dist/backupdesk/backupdesk` renders with the bundle instead of this checkout.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PANES = ("history", "backups", "files", "devices", "settings")


def cli(exe: list[str], home: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([*exe, "--home", str(home), *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def make_tree(root: Path, files: int, seed: int) -> None:
    rnd = random.Random(seed)
    for i in range(files):
        d = root / f"project-{i % 4}" / ("raw" if i % 3 else "notes")
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file-{i:03d}.dat").write_bytes(rnd.randbytes(rnd.randint(2_000, 120_000)))


def build_home(exe: list[str], work: Path) -> Path:
    home = work / "home"
    docs, lab, dest, usb = (work / "Documents", work / "lab-data", work / "backups",
                            work / "usb")
    make_tree(docs, 40, 1)
    make_tree(lab, 80, 2)
    for d in (dest, usb):
        d.mkdir()
    cli(exe, home, "plan", "add", "Documents", "--engine", "archive", "--source", str(docs),
        "--dest", str(dest), "--schedule", "daily at 12:30")
    pipe = work / "instrument.pipe"  # not a file or folder: skipped with a warning (partial)
    os.mkfifo(pipe)
    cli(exe, home, "plan", "add", "Lab data", "--engine", "archive", "--source", str(lab),
        "--source", str(pipe), "--dest", str(dest), "--dest", str(usb), "--schedule", "hourly")
    cli(exe, home, "plan", "add", "Scans", "--engine", "archive", "--source", str(docs),
        "--dest", str(work / "nas"), "--schedule", "weekly")
    cli(exe, home, "run", "Documents", "--full")
    for seed in (3, 4):
        make_tree(docs / f"new-{seed}", 5, seed)
        cli(exe, home, "run", "Documents")
    cli(exe, home, "run", "Lab data", "--full", ok=(0, 3))
    make_tree(lab / "new", 6, 5)
    cli(exe, home, "run", "Lab data", ok=(0, 3))
    shutil.rmtree(work / "nas")  # plan add set it up
    (work / "nas").write_text("not a folder")  # the only destination unusable: failed
    cli(exe, home, "run", "Scans", ok=(0, 1, 3))
    return home


def add_nodes(exe: list[str], home: Path) -> object:
    from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body

    farm = DaemonFarm().start()
    m1 = farm.add(Behaviour(body=mysql_body(6)))
    r1 = farm.add(Behaviour(body=rsync_body(6)))
    m2 = farm.add(Behaviour(body=mysql_body(4, "error", prefix="lab")))
    r2 = farm.add(Behaviour(body=rsync_body(4, prefix="lab")))
    cli(exe, home, "node", "add", "incubator-room", "--mysql", m1, "--rsync", r1,
        "--interval", "5")
    cli(exe, home, "node", "add", "fly-lab", "--mysql", m2, "--rsync", r2, "--interval", "5")
    return farm


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--exe", help="the backupdesk executable (default: this checkout)")
    p.add_argument("--keep", action="store_true", help="keep the generated home")
    p.add_argument("--pane", action="append", choices=(*PANES, "welcome"),
                   help="only these panes (repeatable; default: the four panes)")
    p.add_argument("--dark", action="store_true", help="also PANE-dark.png in the dark theme")
    a = p.parse_args()
    exe = [a.exe] if a.exe else [sys.executable, "-m", "core"]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bd-screens-"))
    farm = None
    try:
        home = build_home(exe, work)
        farm = add_nodes(exe, home)
        for pane in a.pane or PANES:
            for theme, suffix in (("light", ""), ("dark", "-dark"))[:2 if a.dark else 1]:
                print(cli(exe, home, "screenshot", "--pane", pane, "--theme", theme, "--out",
                          str(out / f"{pane}{suffix}.png")).strip())
    finally:
        if farm is not None:
            farm.stop()  # type: ignore[attr-defined]
        if a.keep:
            print(f"home kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
