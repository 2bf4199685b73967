"""Workstations sharing one PostgreSQL catalogue, on one machine: each `backupdesk` runs in a
UTS namespace of its own (`unshare -u`) with its own hostname and home, optionally with its
clock moved by libfaketime (Debian's `faketime`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def need_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: install tests/debian-packages.txt")


@dataclass(frozen=True)
class Workstation:
    host: str
    home: Path
    url: str
    clock: str | None = None  # libfaketime's offset, e.g. "+6m"
    # A folder that is this workstation's own disk: FOLDER-disk bound over it in a private
    # mount namespace, so that no other workstation sees what it holds.
    private: Path | None = None

    def argv(self, *args: str) -> list[str]:
        cmd = [sys.executable, "-m", "core.cli.main", "--home", str(self.home),
               "--catalogue", self.url, *args]
        if self.clock:
            cmd = ["faketime", "-f", self.clock, *cmd]
        if self.private is None:
            return ["unshare", "-u", "sh", "-c", 'hostname "$0" && exec "$@"', self.host, *cmd]
        return ["unshare", "-u", "-m", "--propagation", "private", "sh", "-c",
                'hostname "$0" && mount --bind "$1-disk" "$1" && shift && exec "$@"',
                self.host, str(self.private), *cmd]

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "PYTHONPATH": str(REPO), **extra}
        env.pop("BACKUPDESK_HOME", None)
        env.pop("BACKUPDESK_CATALOGUE", None)
        return env

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120,
            **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env(**extra), input=stdin, text=True,
                              capture_output=True, timeout=timeout)

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), env=self.env(**extra), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def paused_run(self, plan: str, flag: Path, *args: str, point: str = "written"
                   ) -> subprocess.Popen[str]:
        """`run PLAN` stopped (alive, heartbeat going) at a pause point of the backup job."""
        proc = self.start("run", plan, *args, BACKUPDESK_PAUSE_AT=point,
                          BACKUPDESK_PAUSE_FILE=str(flag))
        for _ in range(6000):  # bounded wait for the process to reach the point
            if flag.exists() or proc.poll() is not None:
                break
            threading.Event().wait(0.02)
        if not flag.exists():
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"the run on {self.host} never reached {point}: {out} {err}")
        return proc


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=60)


def plan_run_on_two_hosts(url: str, tmp_path: Path) -> tuple[Workstation, Workstation]:
    """wsA and wsB on one catalogue: wsA made plan "p" and ran it, then wsB ran it (--here)."""
    need_tools("unshare")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    a = Workstation("wsA", tmp_path / "homeA", url)
    b = Workstation("wsB", tmp_path / "homeB", url)
    made = a.run("plan", "add", "p", "--engine", "archive", "--source", str(src),
                 "--dest", str(tmp_path / "d"))
    assert made.returncode == 0, made.stderr
    for ws, extra in ((a, ()), (b, ("--here",))):
        done = ws.run("run", "p", *extra)
        assert done.returncode == 0, done.stderr
    return a, b
