"""Has anyone written to a local repository since our last job? borg numbers each committed
transaction (`index.N` in the repository folder); if the number is the one we left, the
refresh after a job can skip its `borg list`. Remote repositories are always refreshed."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from core.engines.borg.repo import is_remote

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
    try:
        data = json.loads(_file(state_dir).read_text())
    except (OSError, ValueError):
        return False
    return bool(data.get(location) == now)


def remember(state_dir: Path, location: str) -> None:
    now = transaction(location)
    if now is None:
        return
    f = _file(state_dir)
    with _lock:
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError):
            data = {}
        data[location] = now
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            tmp = f.with_name(f"{f.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data))
            os.replace(tmp, f)
        except OSError:
            pass  # an optimisation only
