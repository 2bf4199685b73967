"""Is a catalogue file whole? Checked on open, before anything reads or writes it.

`PRAGMA quick_check` reads every page (about 1 s for a 760 MB catalogue of 1M jobs, warm
cache), too slow for every command. A marker next to the file remembers the file's size,
mtime and inode when it was last found whole (or damaged): a file that did not change since
is not checked again, except once a day. Backup Desk updates the marker when it closes a
catalogue it opened whole, so its own writes cost no check at the next start; any other change
(a copy, a `dd`, a crash of the disk) does.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from core.errors import CatalogueError
from core.statefile import read_json, write_json

SQLITE_MAGIC = b"SQLite format 3\x00"
FULL_CHECK_EVERY = 24 * 3600.0  # seconds: a whole file is checked again at least this often


class CatalogueDamagedError(CatalogueError):
    """The catalogue file is empty, unreadable or damaged: Backup Desk neither reads nor
    writes it until it is restored."""


def recovery_hint(path: Path) -> str:
    return (f"Restore {path} from a copy (with Backup Desk closed), or salvage what can be "
            f"read: `sqlite3 {path} .recover | sqlite3 {path}.recovered`, then move "
            f"{path.name}.recovered in its place.")


def damaged(path: Path, problem: str) -> CatalogueDamagedError:
    return CatalogueDamagedError(f"The catalogue {path} is damaged ({problem}); Backup Desk "
                                 f"will not use it. {recovery_hint(path)}")


def marker_file(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _read_marker(path: Path) -> dict[str, object]:
    return read_json(marker_file(path))


def _write_marker(path: Path, problem: str | None) -> None:
    try:
        stamp = _stamp(path)
    except OSError:
        return
    try:
        write_json(marker_file(path),
                   {"stamp": stamp, "checked_at": time.time(), "problem": problem})
    except OSError:
        pass  # only a shortcut: without it the next open checks again


def mark_damaged(path: Path, problem: str) -> None:
    """Remember that the file, as it is now, is damaged (found by a read that failed)."""
    _write_marker(path, problem)


def remember_whole(path: Path) -> None:
    """The file as it is now is whole (Backup Desk closed it after using it)."""
    _write_marker(path, None)


def check_header(path: Path) -> None:
    """Cheap checks before opening: readable, not empty, an SQLite file."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise CatalogueDamagedError(
            f"Cannot read the catalogue {path}: {e.strerror}. It must be readable and "
            f"writable by the user running Backup Desk (check its owner and permissions), "
            f"or restore it from a copy.") from e
    if not head:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return  # a new catalogue whose first pages are still in the write-ahead log
        raise CatalogueDamagedError(
            f"The catalogue {path} is empty (0 bytes): its plans and history are lost from "
            f"this file. Restore it from a copy (with Backup Desk closed); to start afresh "
            f"instead, delete the file. Backup Desk does not start a new catalogue over it.")
    if not head.startswith(SQLITE_MAGIC):
        raise damaged(path, "not an SQLite database: its header is overwritten")


def quick_check(path: Path) -> str | None:
    """`PRAGMA quick_check` of the file: None when whole, else the first problem."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as e:
        return str(e)
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.Error as e:
        return str(e)
    finally:
        conn.close()
    found = [str(r[0]) for r in rows if r and r[0] != "ok"]
    if not found:
        return None
    return found[0].replace("*** in database main ***", "").strip().splitlines()[0]


def check_file(path: Path, *, now: float | None = None) -> None:
    """Raise CatalogueDamagedError unless the catalogue file is whole (see the module)."""
    check_header(path)
    try:
        stamp = _stamp(path)
    except OSError:
        return
    marker = _read_marker(path)
    if marker.get("stamp") == stamp:
        if marker.get("problem"):
            raise damaged(path, str(marker["problem"]))
        checked_at = marker.get("checked_at")
        age = (now or time.time()) - (checked_at if isinstance(checked_at, int | float) else 0)
        if 0 <= age < FULL_CHECK_EVERY:
            return
    problem = quick_check(path)
    _write_marker(path, problem)
    if problem:
        raise damaged(path, problem)
