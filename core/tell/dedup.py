"""Once per key across processes: a key is claimed by creating its file in the state folder
(`O_EXCL`), so the window, the background service and a command sharing a home send an event
once. Claims older than KEEP_DAYS are forgotten."""

from __future__ import annotations

import os
import time
from pathlib import Path

KEEP_DAYS = 60


def claim(folder: Path, key: str, repeat_after: int = 0, now: float | None = None) -> bool:
    """True the first time any process claims `key`; with `repeat_after`, the first time
    within that many seconds (claimed per period; the previous period's claim counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
    if repeat_after > 0:
        period = int((now if now is not None else time.time()) // repeat_after)
        if (folder / f"{safe}@{period - 1}").exists():
            return False
        safe = f"{safe}@{period}"
    try:
        fd = os.open(folder / safe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def forget_old(folder: Path, now: float | None = None) -> None:
    """Claims older than KEEP_DAYS go: one file per event must not pile up."""
    limit = (now or time.time()) - KEEP_DAYS * 86400
    try:
        for p in folder.iterdir():
            if p.stat().st_mtime < limit:
                p.unlink()
    except OSError:
        pass
