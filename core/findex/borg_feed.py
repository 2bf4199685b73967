"""Index the archive a borg run has just made from what `borg create --list` said, without a
second borg process listing the archive (`borg list --json-lines` costs as much as the create
itself on an unchanged tree).

borg writes a line only for what it did not find unchanged (the engine's filter,
core.engines.borg.commands.LIST_FILTER): A and M (a regular file added or modified), h (a hard
link to a file already seen), x (excluded), E, C (read error, changed while read). The archive's
files are then those lines' plus the files of the backup before it (the index's newest) that
borg did not write: each is looked at (lstat) and kept when it is still the same regular file.
Sizes and mtimes come from lstat, right after the create, and a file is taken only when its
ctime is older than the create's start: then nothing changed it after borg read it, so the stat
is what borg archived.

The result is checked against borg's own count of the archive's files (`nfiles`, hard links
not counted): a file borg found unchanged that the backup before did not hold (its files cache
is the repository's, shared by every plan writing to it) shows as a difference. Anything off
makes the list unusable and the archive is listed by borg (`borg list`) as before:
- a file changed during the run (ctime after the start);
- E, C or a status this module does not know; a path outside the source ("../"); a relative
  source;
- a file the backup before holds that borg did not write, with another size or mtime;
- a name borg could not write as it is (borg writes "?" for bytes it cannot decode);
- a count that differs (with an empty index: borg found files unchanged).
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from core.backups import BackupInfo
from core.findex.feed import FileEntry, Listing
from core.findex.indexing import FilesOf
from core.findex.store import open_index

# A file system's clock ticks coarsely (a jiffy): a ctime can read up to one tick early.
TICK_NS = 20_000_000

# The index's newest backup: its name (None: the index is empty) and its files' sizes and mtimes.
Before = tuple[str | None, dict[bytes, tuple[int | None, int | None]]]


class Unusable(Exception):
    """The create's list cannot say the archive's files: borg lists them."""


def borg_mtime(ns: int) -> int:
    """An mtime as `borg list` gives it (microseconds, rounded half-even as Python's
    datetime.fromtimestamp(ns / 1e9) rounds them), in nanoseconds."""
    frac, whole = math.modf(ns / 1e9)
    return int(whole) * 1_000_000_000 + round(frac * 1e6) * 1000


def _shown(name: bytes) -> bytes:
    """A name as borg writes it: bytes that are not UTF-8 become "?"."""
    return os.fsdecode(name).encode("utf-8", "replace")


def _check_name(path: bytes) -> None:
    """A path with a "?" must name exactly one entry of its folder as borg shows names, and
    that entry must really be called so."""
    if b"?" not in path:
        return
    parent, _, name = path.rpartition(b"/")
    try:
        names = os.listdir(parent or b"/")
    except OSError:
        names = []
    if [n for n in names if _shown(n) == name] != [name]:
        raise Unusable(f"borg could not write the name {os.fsdecode(path)}")


class _Scan:
    def __init__(self, started_ns: int) -> None:
        self.since = started_ns - TICK_NS

    def stat(self, path: bytes) -> os.stat_result | None:
        """The regular file at `path` as borg archived it, None if there is none."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_ctime_ns >= self.since:  # it may have changed after borg read it
            raise Unusable(f"{os.fsdecode(path)} changed during the backup")
        return st


def _prefixes(folders: Sequence[bytes]) -> tuple[bytes, ...]:
    """What the paths inside any of `folders` start with ("" for the root: every path)."""
    return tuple(f + b"/" if f else b"" for f in folders)


def changes_from_create(listed: Sequence[tuple[str, str]], started_ns: int, nfiles: int,
                        sources: Sequence[str], before: Before) -> Listing:
    """The archive's files as changes since `before`, from borg's file_status lines (those
    of LIST_FILTER); Unusable says why not."""
    if not all(os.path.isabs(s) for s in sources):
        raise Unusable("a source is a relative path")
    scan = _Scan(started_ns)
    files: list[FileEntry] = []
    written: set[bytes] = set()
    excluded: list[bytes] = []
    counted = 0
    for status, text in listed:
        path = os.fsencode(text)
        key = path.lstrip(b"/")
        if status == "x":
            excluded.append(key)
            continue
        if status not in ("A", "M", "h"):
            raise Unusable(f"borg said {status!r} of {text}")
        if path.startswith(b"../") or b"/../" in path:
            raise Unusable(f"{text} is outside the source")
        _check_name(path)
        st = scan.stat(path)
        if st is None:
            raise Unusable(f"{text} is no longer a file")
        counted += status != "h"
        written.add(key)
        files.append((key, st.st_size, borg_mtime(st.st_mtime_ns), None))
    base, prev = before
    roots = [os.fsencode(os.path.normpath(s)).lstrip(b"/") for s in sources]
    inside, outside = _prefixes(roots), _prefixes(excluded)
    tops, dropped = set(roots), set(excluded)  # a source or an excluded path that is a file
    gone: list[bytes] = []
    kept = 0
    lstat, isreg, since = os.lstat, stat.S_ISREG, scan.since
    for key, (size, mtime) in prev.items():  # the hot loop: 20,000 files take 50 ms
        if key in written:
            continue
        if not (key.startswith(inside) or key in tops) or key.startswith(outside) \
                or key in dropped:
            gone.append(key)
            continue
        path = b"/" + key
        if b"?" in key:
            _check_name(path)
        try:
            st = lstat(path)
        except OSError:
            gone.append(key)
            continue
        if not isreg(st.st_mode):
            gone.append(key)
        elif st.st_ctime_ns >= since:
            raise Unusable(f"{os.fsdecode(path)} changed during the backup")
        elif st.st_size != size or borg_mtime(st.st_mtime_ns) != mtime:
            raise Unusable(f"{os.fsdecode(path)} differs from backup {base} though borg "
                           "found it unchanged")
        else:
            kept += 1
    if kept + counted != nfiles:
        raise Unusable(f"borg counts {nfiles} files, its list {kept + counted}")
    return Listing(files, base=base, gone=gone, total=kept + len(files))


def newest_indexed(index: Path) -> Before:
    """The files of the newest backup in the index at `index`."""
    if not index.exists():
        return None, {}
    ix = open_index(index)
    try:
        last = ix.last_backup()
        if last is None:
            return None, {}
        return last.name, ix.alive_files()
    finally:
        ix.close()


def created_files(backup_id: int, listed: Sequence[tuple[str, str]] | None, started_ns: int,
                  nfiles: int, sources: Sequence[str], index: Path, listing: FilesOf,
                  say: Callable[[str], None]) -> FilesOf:
    """The file lists for indexing a borg run's backup `backup_id`: its changes from the
    create's list when usable, else (and for any other archive, or a whole list) from
    `listing` (borg list)."""

    def files(b: BackupInfo, changes: bool) -> list[FileEntry] | Listing:
        if b.id == backup_id and listed is not None and changes:
            try:
                return changes_from_create(listed, started_ns, nfiles, sources,
                                           newest_indexed(index))
            except Unusable as e:
                say(f"File index: the archive is listed by borg ({e}).")
        return listing(b, changes)

    return files
