"""Run one borg process: stdin closed, secrets through a file descriptor, `--log-json` lines
parsed from stderr, stdout read whole (`--json`) or line by line (`--json-lines`), cancel by
SIGINT then SIGTERM/SIGKILL to the process group.

borg runs in a process group of its own (with its ssh), which ends with the call however it
ends: when borg exits (what it left behind is ended), on an error or interrupt here, and when
this process dies, even by SIGKILL: a watcher (`sh`) waits for the end of a pipe that only we
hold open and then ends the group. ssh gets a connect timeout and keep-alives, so a host that
accepts and never answers fails the call instead of hanging it.

Every call is bounded, since a `borg serve` that logged in and then hangs (or a local repository
on a hung NFS mount) is not: the short calls (list, info, init, rename...) by a wall-clock
limit, the long ones (create, extract, check, compact, delete, prune, listing an archive's
contents) by a watchdog on borg's silence; they run with --progress, so a working borg
speaks every few seconds. Either ends borg's process group and fails the call with
BorgTimeoutError."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.engines.borg.errors import (
    INSTALL_HINT,
    BorgError,
    BorgMissingError,
    BorgTimeoutError,
    classify,
)
from core.errors import CancelledError
from core.progress import CancelToken

EventCallback = Callable[[dict[str, Any]], None]
LineCallback = Callable[[bytes], None]

# Secrets and answers borg must never take from the caller's environment.
_SCRUB = ("BORG_PASSPHRASE", "BORG_PASSCOMMAND", "BORG_PASSPHRASE_FD", "BORG_NEW_PASSPHRASE")
SAFE_ANSWERS = {
    "BORG_RELOCATED_REPO_ACCESS_IS_OK": "no",
    "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no",
    "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "NO",
    "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING": "NO",
    "BORG_DISPLAY_PASSPHRASE": "no",
}
CANCEL_GRACE = 20.0  # seconds between SIGINT and SIGTERM to the process group
TERM_GRACE = 5.0  # seconds between SIGTERM and SIGKILL to the process group
# ssh options added to the borg rsh unless it sets them itself: a silent host fails the
# connection after SSH_CONNECT_TIMEOUT s, a silent connection after 15 s x 4.
SSH_CONNECT_TIMEOUT = 15
SSH_OPTIONS = {"ConnectTimeout": str(SSH_CONNECT_TIMEOUT), "ServerAliveInterval": "15",
               "ServerAliveCountMax": "4"}
# Bounds of a call, in seconds (0: none): a short call's whole run, a long call's silence.
CALL_TIMEOUT_ENV, CALL_TIMEOUT = "BACKUPDESK_BORG_TIMEOUT", 300.0
IDLE_TIMEOUT_ENV, IDLE_TIMEOUT = "BACKUPDESK_BORG_IDLE_TIMEOUT", 600.0
# Calls whose length grows with the data or the repository: bounded by silence, not time.
LONG_CALLS = ("create", "extract", "check", "compact", "delete", "prune")
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20
BATCH_BYTES, BATCH_PAUSE = 32 << 10, 0.002


@dataclass(frozen=True)
class BorgEnv:
    """How to reach borg and a repository: binary, passphrase (never logged), ssh command."""

    passphrase: str | None = None
    rsh: str | None = None
    binary: str = "borg"
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # keeps the passphrase out of tracebacks and logs
        return f"BorgEnv(binary={self.binary!r}, rsh={self.rsh!r}, passphrase=***)"


@dataclass
class BorgResult:
    rc: int
    stdout: bytes
    messages: list[dict[str, Any]]

    def json(self) -> Any:
        return json.loads(self.stdout or b"{}")

    def log_lines(self) -> list[str]:
        return [f"{m.get('levelname', 'INFO')}: {m.get('message', '')}" for m in self.messages]

    @property
    def warnings(self) -> list[str]:
        return [str(m.get("message", "")) for m in self.messages
                if m.get("levelname") == "WARNING"]


def event_path(ev: Mapping[str, Any]) -> str:
    """An event's path, decoding `path_b64` (paths that are not valid UTF-8)."""
    if "path_b64" in ev:
        raw = base64.b64decode(ev["path_b64"])
        return raw.decode("utf-8", "surrogateescape")
    return str(ev.get("path") or "")


def ssh_command(rsh: str | None) -> str:
    """The borg rsh with SSH_OPTIONS added where it does not set them."""
    cmd = rsh or "ssh"
    low = cmd.lower()
    for opt, value in SSH_OPTIONS.items():
        if opt.lower() not in low:
            cmd += f" -o {opt}={value}"
    return cmd


def build_env(benv: BorgEnv, fd: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(SAFE_ANSWERS)
    env.update(benv.extra)
    env["BORG_RSH"] = ssh_command(benv.rsh or env.get("BORG_RSH"))
    if fd is not None:
        env["BORG_PASSPHRASE_FD"] = str(fd)
    return env


def _passphrase_fd(passphrase: str | None) -> int | None:
    if passphrase is None:
        return None
    r, w = os.pipe()
    try:
        os.write(w, passphrase.encode())  # a passphrase fits the pipe buffer
    finally:
        os.close(w)
    return r


def _seconds(var: str, default: float) -> float | None:
    """A bound from the environment (seconds; 0 or less: none), else `default`."""
    try:
        value = float(os.environ.get(var, "") or default)
    except ValueError:
        value = default
    return value if value > 0 else None


@dataclass(frozen=True)
class Bound:
    """How long a call may run (`limit`) or stay silent (`idle`), in seconds."""

    limit: float | None = None
    idle: float | None = None

    @classmethod
    def for_call(cls, argv: Sequence[str]) -> Bound:
        sub = argv[1] if len(argv) > 1 else ""
        if sub in LONG_CALLS or "--json-lines" in argv:
            return cls(idle=_seconds(IDLE_TIMEOUT_ENV, IDLE_TIMEOUT))
        return cls(limit=_seconds(CALL_TIMEOUT_ENV, CALL_TIMEOUT))

    def error(self, argv: Sequence[str], repo: str, silent: bool) -> BorgTimeoutError:
        sub = argv[1] if len(argv) > 1 else "borg"
        if silent:
            what, var = f"said nothing for {self.idle:g} s", IDLE_TIMEOUT_ENV
        else:
            what, var = f"did not finish within {self.limit:g} s", CALL_TIMEOUT_ENV
        return BorgTimeoutError(
            f"borg {sub} on {repo} {what} and was stopped: check that the repository answers "
            "(over ssh: that the host and its borg respond; a local path: that its disk or "
            f"network mount is not hung); {var} sets the bound in seconds.")


class _Watch:
    """While the process runs: on cancel, SIGINT, then SIGTERM/SIGKILL to its group; past its
    bound, SIGTERM/SIGKILL to its group (`_Group.end`)."""

    def __init__(self, group: _Group, cancel: CancelToken | None, grace: float,
                 bound: Bound) -> None:
        self.group, self.cancel, self.grace, self.bound = group, cancel, grace, bound
        self.done = threading.Event()
        self.fired = False  # cancelled
        self.timed_out: bool | None = None  # True: silent too long, False: ran too long
        self.started = self.heard = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="borg-watch", daemon=True)
        self.thread.start()

    def hear(self) -> None:
        """borg said something."""
        self.heard = time.monotonic()

    def _run(self) -> None:
        b = self.bound
        while not self.done.is_set():
            if self.cancel is not None and self.cancel.wait(0.25):
                self._cancel()
                return
            if self.cancel is None:
                self.done.wait(0.25)
            now = time.monotonic()
            if b.idle is not None and now - self.heard > b.idle:
                self.timed_out = True
            elif b.limit is not None and now - self.started > b.limit:
                self.timed_out = False
            if self.timed_out is not None and not self.done.is_set():
                self.group.end()
                return

    def _cancel(self) -> None:
        self.fired = True
        proc = self.group.proc
        for sig, wait in ((signal.SIGINT, self.grace), (signal.SIGTERM, 5.0),
                          (signal.SIGKILL, None)):
            try:
                if sig == signal.SIGINT:
                    proc.send_signal(sig)
                else:
                    os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            if wait is None or self.done.wait(wait):
                return


def run_borg(argv: Sequence[str], benv: BorgEnv, repo: str, *,
             on_event: EventCallback | None = None, on_line: LineCallback | None = None,
             cancel: CancelToken | None = None, cwd: str | None = None,
             check: bool = True, grace: float = CANCEL_GRACE,
             bound: Bound | None = None) -> BorgResult:
    """Run borg; raises the classified error if it fails (rc 2, or rc 1 with an error line
    or without a warning when `check`), CancelledError if cancelled, BorgTimeoutError past
    its bound (by default the one for its kind of call). rc 1 with a warning is a success."""
    with BorgCall(argv, benv, repo, on_event=on_event, cancel=cancel, cwd=cwd, check=check,
                  grace=grace, bound=bound) as call:
        return call.result(on_line)


class BorgCall:
    """A borg process started (run_borg's first half): the caller does its own work while
    borg runs, then takes `result()`. Leaving its `with` block without a result ends borg's
    process group."""

    def __init__(self, argv: Sequence[str], benv: BorgEnv, repo: str, *,
                 on_event: EventCallback | None = None, cancel: CancelToken | None = None,
                 cwd: str | None = None, check: bool = True, grace: float = CANCEL_GRACE,
                 bound: Bound | None = None) -> None:
        bound = bound or Bound.for_call(argv)
        if bound.idle is not None and "--progress" not in argv:
            argv = [*argv[:2], "--progress", *argv[2:]]  # a working borg speaks
        self.argv, self.benv, self.repo, self.check, self.bound = argv, benv, repo, check, bound
        fd = _passphrase_fd(benv.passphrase)
        try:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=build_env(benv, fd), cwd=cwd,
                pass_fds=(fd,) if fd is not None else (), start_new_session=True,
            )
        except FileNotFoundError:
            raise BorgMissingError(f"borg ({argv[0]}) is not installed. {INSTALL_HINT}") \
                from None
        except OSError as e:
            raise BorgMissingError(f"{argv[0]} cannot be run as borg: {e.strerror}. "
                                   f"{INSTALL_HINT}") from None
        finally:
            if fd is not None:
                os.close(fd)
        self.group = _Group(proc)
        self.messages: list[dict[str, Any]] = []
        self.watch = _Watch(self.group, cancel, grace, bound)
        self.reader = threading.Thread(target=_read_stderr,
                                       args=(proc, self.messages, on_event, self.watch.hear),
                                       name="borg-stderr", daemon=True)
        self.reader.start()
        self._open = True

    def __enter__(self) -> BorgCall:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:  # left before its result: borg is ended, not waited for
            self._close(abort=True)

    def _close(self, abort: bool) -> None:
        self._open = False
        try:
            if abort:
                self.group.end()
                self.group.proc.wait()
                self.reader.join()
        finally:
            self.watch.done.set()
            self.group.close()

    def result(self, on_line: LineCallback | None = None) -> BorgResult:
        """Wait for borg; its result, or the error of a failed, cancelled or timed-out call."""
        proc, watch = self.group.proc, self.watch
        out = b""
        try:
            assert proc.stdout is not None
            if on_line is not None:
                _read_lines(proc.stdout.fileno(), on_line, watch.hear)
            else:
                out = proc.stdout.read()
            rc = self.group.wait()
            self.reader.join()
        except BaseException:
            self._close(abort=True)
            raise
        self._close(abort=False)
        return self._checked(BorgResult(rc, out, self.messages))

    def _checked(self, result: BorgResult) -> BorgResult:
        argv, repo, rc, messages = self.argv, self.repo, result.rc, result.messages
        if self.watch.fired:
            raise CancelledError("Cancelled by the user; borg stopped and released its lock.")
        if self.watch.timed_out is not None and rc != 0:
            raise self.bound.error(argv, repo, self.watch.timed_out)
        if rc == 0 or (rc == 1 and not _error(messages) and result.warnings):
            return result
        if not self.check:
            return result
        err = _error(messages)
        detail = "\n".join(str(m.get("message", "")) for m in messages)
        if err is None:  # no error line in borg's contract: its own last words, or the exit code
            last = [ln for ln in detail.splitlines() if ln.strip()][-3:]
            said = f": {' / '.join(last)}" if last else " and said nothing"
            raise BorgError(f"{argv[0]} failed on {repo} (exit code {rc}){said}.")
        raise classify(err.get("msgid"), str(err.get("message", "")), repo,
                       had_passphrase=self.benv.passphrase is not None, rc=rc, detail=detail)


def _read_lines(fd: int, on_line: LineCallback, hear: Callable[[], None]) -> None:
    """Big reads from a big pipe: borg never waits for us, and the lines cost one split."""
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass  # the system's limit is lower: the default size works, a bit slower
    rest = b""
    while chunk := os.read(fd, PIPE_SIZE):
        hear()
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line:
                on_line(line)
        if len(chunk) < BATCH_BYTES:
            # borg writes a line at a time; waking up for each costs more CPU (system time)
            # than parsing it. A short pause lets the pipe fill: about 100 lines per read.
            time.sleep(BATCH_PAUSE)
    if rest.strip():
        on_line(rest)


def _error(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    errs = [m for m in messages if m.get("levelname") in ("ERROR", "CRITICAL")]
    with_id = [m for m in errs if m.get("msgid")]
    found = with_id or errs
    return found[0] if found else None


def _read_stderr(proc: subprocess.Popen[bytes], messages: list[dict[str, Any]],
                 on_event: EventCallback | None, hear: Callable[[], None]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        hear()
        try:
            ev = json.loads(raw)
        except ValueError:
            ev = _salvage(raw)
            if ev is None:
                continue
        if not isinstance(ev, dict):
            continue
        if ev.get("type") == "log_message":
            messages.append(ev)
        if on_event is not None:
            on_event(ev)


def _salvage(raw: bytes) -> dict[str, Any] | None:
    """A line outside the contract (ssh's errors, a prompt), which may end in a JSON line."""
    at = raw.find(b'{"')
    if at > 0:
        try:
            ev = json.loads(raw[at:])
            if isinstance(ev, dict):
                return ev
        except ValueError:
            pass
    text = raw.decode("utf-8", "replace").strip()
    return {"type": "log_message", "levelname": "INFO", "message": text} if text else None


class _Group:
    """borg's process group, ended with the call: see the module's docstring."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        r, self._alive = os.pipe()  # both ends close-on-exec: no other child holds them
        pg = proc.pid
        script = (f"read _; kill -TERM -{pg} 2>/dev/null || exit 0; sleep {TERM_GRACE:.0f}; "
                  f"kill -KILL -{pg} 2>/dev/null")
        try:
            self._watcher: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["/bin/sh", "-c", script], stdin=r, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            self._watcher = None  # no sh: borg still ends with every call that returns
        finally:
            os.close(r)

    def _exited(self, timeout: float | None) -> bool:
        """Wait until borg exits, without reaping it: until then its pid (the group's id)
        cannot be reused, so signals to the group reach only what borg left in it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        flags = os.WEXITED | os.WNOWAIT | (os.WNOHANG if timeout is not None else 0)
        while True:
            try:
                if os.waitid(os.P_PID, self.proc.pid, flags) is not None:
                    return True
            except ChildProcessError:
                return True  # reaped by another thread
            if deadline is None or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def wait(self) -> int:
        """borg's exit code, once what it left in its group (an ssh) is ended too."""
        self._exited(None)
        self._signal(signal.SIGKILL)
        return self.proc.wait()

    def end(self) -> None:
        """SIGTERM to the group, SIGKILL after TERM_GRACE (an error or interrupt here); the
        caller reaps borg."""
        self._signal(signal.SIGTERM)
        self._exited(TERM_GRACE)
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.proc.returncode is not None:
            return  # reaped: the id may be someone else's now
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        """The call is over: the watcher goes without touching the group."""
        if self._watcher is not None:
            self._watcher.kill()
            self._watcher.wait()
            self._watcher = None
        if self._alive >= 0:
            os.close(self._alive)
            self._alive = -1
