"""Running a plan's hook: the command as the user typed it, through the shell, bounded in time
and in how much of its output is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass

OUTPUT_KEEP = 16 * 1024  # bytes of a hook's output kept for the job log (its end)


@dataclass(frozen=True)
class HookResult:
    code: int | None  # None: it ran out of time and was killed
    output: str  # its last OUTPUT_KEEP bytes of stdout and stderr
    timeout_s: float

    @property
    def ok(self) -> bool:
        return self.code == 0

    def describe(self, what: str) -> str:
        if self.code is None:
            return f"The {what} hook ran longer than {self.timeout_s:g} s and was stopped."
        if self.code < 0:
            return f"The {what} hook was killed by signal {-self.code}."
        return f"The {what} hook exited with code {self.code}."

    def log_lines(self, what: str) -> list[str]:
        lines = [f"{what} hook output: {ln}" for ln in self.output.splitlines()]
        return [*lines, self.describe(what)]


def run(command: str, env: dict[str, str], timeout_s: float) -> HookResult:
    """Run `command` with `env` added to this process's environment; its whole process group is
    killed when it runs past `timeout_s`."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, **env},
                                start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
            try:  # with what it started (its process group; Windows has none)
                if hasattr(os, "killpg"):
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - OUTPUT_KEEP))
        text = out.read().decode("utf-8", "replace")
    if size > OUTPUT_KEEP:
        text = f"[... {size - OUTPUT_KEEP} earlier bytes left out]\n" + text.split("\n", 1)[-1]
    return HookResult(code, text.rstrip("\n"), timeout_s)
