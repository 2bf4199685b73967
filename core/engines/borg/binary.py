"""Is the configured borg binary a borg we support? Asked once per binary (path, size and
mtime): in memory, and in a small file under the state folder across commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from core.engines.borg.errors import INSTALL_HINT, BorgMissingError
from core.statefile import read_json, write_json

SUPPORTED = ((1, 2), (2, 0))  # from 1.2 up to, not including, 2.0 (its command line differs)
VERSION_TIMEOUT = 30.0
_known: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _identity(binary: str) -> tuple[str, int, int]:
    found = shutil.which(binary) if os.sep not in binary else binary
    real = os.path.realpath(found) if found is not None else ""
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise BorgMissingError(f"borg ({binary}) is not installed. {INSTALL_HINT}") from None
    except OSError as e:
        raise BorgMissingError(f"borg ({binary}) cannot be used: {e.strerror}. "
                               f"{INSTALL_HINT}") from None
    return real, st.st_size, st.st_mtime_ns


def _ask(binary: str, real: str) -> str:
    """borg's version, or BorgMissingError saying why this is no borg we can use."""
    hint = ("Set BACKUPDESK_BORG (or the plan's borg binary) to borg "
            f"{SUPPORTED[0][0]}.{SUPPORTED[0][1]} or later, before 2.0.")
    try:
        r = subprocess.run([real, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=VERSION_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise BorgMissingError(f"{binary} did not answer `--version` within "
                               f"{VERSION_TIMEOUT:.0f} s. {hint}") from None
    except OSError as e:
        raise BorgMissingError(f"{binary} cannot be run: {e.strerror}. {hint}") from None
    text = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
    m = re.match(r"borg(?:\.exe)? (\d+)\.(\d+)\.(\d+)\S*", text)
    if r.returncode != 0 or m is None:
        said = text.splitlines()[0][:200] if text else "nothing"
        raise BorgMissingError(f"{binary} is not borg: `--version` exited {r.returncode} and "
                               f"said {said!r}. {hint}")
    version = (int(m.group(1)), int(m.group(2)))
    if not SUPPORTED[0] <= version < SUPPORTED[1]:
        raise BorgMissingError(f"{binary} is {m.group(0)}, which Backup Desk does not "
                               f"support. {hint}")
    return m.group(0)


def check_binary(binary: str, state_dir: Path | None = None) -> str:
    """The version line of `binary` (e.g. "borg 1.2.4"); BorgMissingError if it is not a
    supported borg."""
    ident = _identity(binary)
    with _lock:
        if ident in _known:
            return _known[ident]
    cache = state_dir / "borg-binaries.json" if state_dir is not None else None
    key = "\0".join(map(str, ident))
    data = read_json(cache) if cache is not None else {}
    version = data.get(key)
    if not isinstance(version, str):
        version = _ask(binary, ident[0])
        if cache is not None:
            data = {k: v for k, v in data.items() if k.split("\0")[0] != ident[0]}
            data[key] = version
            try:
                write_json(cache, data)
            except OSError:
                pass  # asked again next time
    with _lock:
        _known[ident] = version
    return version
