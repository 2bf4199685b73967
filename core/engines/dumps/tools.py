"""Running dump clients: find them on PATH, pass secrets outside argv, honour cancellation."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core.errors import CancelledError, ToolMissingError
from core.progress import CancelToken

INSTALL_HINTS = {
    "pg_dump": "install the PostgreSQL client (Debian: postgresql-client)",
    "pg_restore": "install the PostgreSQL client (Debian: postgresql-client)",
    "mariadb-dump": "install the MariaDB client (Debian: mariadb-client)",
    "mariadb": "install the MariaDB client (Debian: mariadb-client)",
}


def find_tool(*names: str) -> str:
    """The first of `names` found on PATH; ToolMissingError naming what to install."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    hint = INSTALL_HINTS.get(names[0], "install it")
    raise ToolMissingError(f"{' or '.join(names)} was not found on PATH: {hint}.")


@contextmanager
def secret_file(content: str) -> Iterator[Path]:
    """A 0600 file holding `content`, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="backupdesk-", suffix=".cnf")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(content)
        yield Path(name)
    finally:
        try:
            os.unlink(name)
        except OSError:
            pass


def run(argv: Sequence[str], *, env: dict[str, str] | None = None, cancel: CancelToken,
        stdin_path: Path | None = None, stdout_path: Path | None = None,
        poll: float = 0.2) -> tuple[int, str]:
    """Run a client, returning (exit code, stderr); on cancel terminate it and raise."""
    full_env = {**os.environ, **(env or {}), "LC_ALL": "C"}
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(list(argv), env=full_env, stdin=stdin, stdout=stdout,
                                    stderr=err, start_new_session=True)
            while True:
                try:
                    code = proc.wait(timeout=poll)
                    break
                except subprocess.TimeoutExpired:
                    if cancel.cancelled:
                        _stop(proc)
                        raise CancelledError("Cancelled by the user.") from None
            err.seek(0)
            return code, err.read().decode("utf-8", "replace").strip()
    finally:
        for f in (stdin, stdout):
            if not isinstance(f, int):
                f.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def explain(stderr: str, label: str, host: str, port: int) -> str:
    """One sentence for a client's failure, from its stderr."""
    low = stderr.lower()
    if "password authentication failed" in low or "access denied" in low:
        return f"Wrong user name or password for the {label}."
    if ("connection refused" in low or "can't connect" in low or "could not connect" in low
            or "no route to host" in low or "timed out" in low
            or "could not translate host name" in low or "unknown server host" in low):
        return f"Cannot reach the database server at {host}:{port} for the {label}."
    if "does not exist" in low or "unknown database" in low:
        return f"The {label} does not exist."
    first = stderr.splitlines()[0] if stderr else "no message"
    return f"Dumping the {label} failed: {first}"
