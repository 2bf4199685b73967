"""Index the archive a borg run has just made from what `borg create --list` said of each path
it saw, without a second borg process listing the archive (`borg list --json-lines`, as long
as the create itself on an unchanged tree).

The paths come from borg's file_status lines: A, M, U (a regular file added, modified,
unchanged) and h (a hard link to a file already seen) are the archive's regular files; d, s, b,
c, f (folders, links, devices, fifos) and x (excluded) are not. Size and mtime come from a local
lstat, right after the create. A file is taken only when its ctime is older than the create's
start: then nothing changed it since before borg read it, so the stat is what borg archived.
Anything else makes this list unusable and the archive is listed by borg as before (`None`):
- a file changed during the run (ctime after the start): borg may hold an older version;
- E (not archived: read error), C (changed while read), or a status this module does not know;
- a path that is gone or no longer a regular file, or a name borg could not write as it is
  (borg writes "?" for bytes it cannot decode: taken only when the name has a real "?"),
  or a path outside the source ("../").
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Sequence

from core.backups import BackupInfo
from core.findex.feed import FileEntry, Listing
from core.findex.indexing import FilesOf

FILES = frozenset("AMUh")
NOT_FILES = frozenset("dsbcfx")
# A file system's clock ticks coarsely (a jiffy): a ctime can read up to one tick early.
TICK_NS = 20_000_000


def borg_mtime(ns: int) -> int:
    """An mtime as `borg list` gives it (microseconds, rounded half-even as Python's
    datetime.fromtimestamp(ns / 1e9) rounds them), in nanoseconds."""
    frac, whole = math.modf(ns / 1e9)
    return int(whole) * 1_000_000_000 + round(frac * 1e6) * 1000


def _shown(name: bytes) -> bytes:
    """A name as borg writes it: bytes that are not UTF-8 become "?"."""
    return os.fsdecode(name).encode("utf-8", "replace")


def _real_question_mark(path: bytes) -> bool:
    """True when `path` (with a "?") names exactly one entry of its folder as borg shows it,
    and that entry is really called so."""
    parent, _, name = path.rpartition(b"/")
    try:
        names = os.listdir(parent or b".")
    except OSError:
        return False
    return [n for n in names if _shown(n) == name] == [name]


def files_from_create(listed: Sequence[tuple[str, str]], started_ns: int
                      ) -> tuple[list[FileEntry] | None, str]:
    """The archive's regular files from borg's file_status lines, or (None, why not)."""
    out: list[FileEntry] = []
    since = started_ns - TICK_NS
    lstat, isreg = os.lstat, stat.S_ISREG
    for status, text in listed:
        if status not in FILES:
            if status in NOT_FILES:
                continue
            return None, f"borg said {status!r} of {text}"
        path = os.fsencode(text)
        if path.startswith(b"../") or b"/../" in path:
            return None, f"{text} is outside the source"
        if b"?" in path and not _real_question_mark(path):
            return None, f"borg could not write the name {text}"
        try:
            st = lstat(path)
        except OSError:
            return None, f"{text} is gone"
        if not isreg(st.st_mode):
            return None, f"{text} is no longer a file"
        if st.st_ctime_ns >= since:  # it may have changed after borg read it
            return None, f"{text} changed during the backup"
        out.append((path.lstrip(b"/"), st.st_size, borg_mtime(st.st_mtime_ns), None))
    return out, ""


def created_files(backup_id: int, listed: Sequence[tuple[str, str]] | None, started_ns: int,
                  listing: FilesOf, say: Callable[[str], None]) -> FilesOf:
    """The file lists for indexing a borg run's backup `backup_id`: from its create's list
    when usable, else (and for any other archive) from `listing` (borg list)."""

    def files(b: BackupInfo, changes: bool) -> list[FileEntry] | Listing:
        if b.id == backup_id and listed is not None:
            got, why = files_from_create(listed, started_ns)
            if got is not None:
                return got
            say(f"File index: the archive is listed by borg ({why}).")
        return listing(b, changes)

    return files
