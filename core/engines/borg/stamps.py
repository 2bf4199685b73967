"""Has anyone written to a local repository since our last job? borg numbers each committed
transaction (`index.N` in the repository folder); if the number is the one we left, the
refresh after a job can skip its `borg list`. Remote repositories are always refreshed."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from core.engines.borg.repo import is_remote
from core.statefile import read_json, write_json

_lock = threading.Lock()


def transaction(location: str) -> str | None:
    if is_remote(location):
        return None
    try:
        names = os.listdir(location)
    except OSError:
        return None
    ids = [int(n[6:]) for n in names if n.startswith("index.") and n[6:].isdigit()]
    return str(max(ids)) if ids else None


def _file(state_dir: Path) -> Path:
    return state_dir / "borg-transactions.json"


def unchanged(state_dir: Path, location: str) -> bool:
    """True when the repository is at the transaction our last job left it at."""
    now = transaction(location)
    if now is None:
        return False
    return bool(read_json(_file(state_dir)).get(location) == now)


def remember(state_dir: Path, location: str) -> None:
    now = transaction(location)
    if now is None:
        return
    f = _file(state_dir)
    with _lock:
        data = read_json(f)
        data[location] = now
        try:
            write_json(f, data)
        except OSError:
            pass  # an optimisation only
