"""Running a plan's hook: the command as the user typed it, through the shell, bounded in time
and in how much of its output is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass

from core.progress import CancelToken

OUTPUT_KEEP = 16 * 1024  # bytes of a hook's output kept for the job log (its end)
POLL_S = 0.1  # how soon a cancel stops a running hook


@dataclass(frozen=True)
class HookResult:
    """How a hook command ended and what it printed."""
    code: int | None  # None: it ran out of time (or was cancelled) and was killed
    output: str  # its last OUTPUT_KEEP bytes of stdout and stderr
    timeout_s: float
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.code == 0

    def describe(self, what: str) -> str:
        if self.cancelled:
            return f"The {what} hook was stopped: the job was cancelled."
        if self.code is None:
            return f"The {what} hook ran longer than {self.timeout_s:g} s and was stopped."
        if self.code < 0:
            return f"The {what} hook was killed by signal {-self.code}."
        return f"The {what} hook exited with code {self.code}."

    def log_lines(self, what: str) -> list[str]:
        lines = [f"{what} hook output: {ln}" for ln in self.output.splitlines()]
        return [*lines, self.describe(what)]


def run(command: str, env: dict[str, str], timeout_s: float,
        cancel: CancelToken | None = None) -> HookResult:
    """Run `command` with `env` added to this process's environment; its whole process group is
    killed when it runs past `timeout_s` or `cancel` is set."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, **env},
                                start_new_session=True)
        code, cancelled = _wait(proc, timeout_s, cancel)
        if code is None:
            _kill_group(proc)
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - OUTPUT_KEEP))
        text = out.read().decode("utf-8", "replace")
    if size > OUTPUT_KEEP:
        text = f"[... {size - OUTPUT_KEEP} earlier bytes left out]\n" + text.split("\n", 1)[-1]
    return HookResult(code, text.rstrip("\n"), timeout_s, cancelled)


def _wait(proc: subprocess.Popen[bytes], timeout_s: float, cancel: CancelToken | None
          ) -> tuple[int | None, bool]:
    """Its exit code, or None when it ran out of time or `cancel` was set (True)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, False
        try:
            return proc.wait(timeout=min(left, POLL_S) if cancel else left), False
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.cancelled:
                return None, True


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """The hook with what it started (its process group; Windows has none)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
