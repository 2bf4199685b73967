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
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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


@dataclass
class Looked:
    """What a look at the backup before's files found: those no longer regular files
    (`gone`) and, by path, why a file cannot be taken as it was (`problems`)."""

    gone: set[bytes] = field(default_factory=set)
    problems: dict[bytes, str] = field(default_factory=dict)


def look(prev: Iterable[tuple[bytes, tuple[int | None, int | None]]], since: int) -> Looked:
    """lstat each of the files `prev` (path -> size, mtime): gone, changed since `since` (the
    run's start less a tick), or other than the backup before says. The hot loop: 20,000
    files take about 50 ms."""
    out = Looked()
    lstat, isreg = os.lstat, stat.S_ISREG
    for key, (size, mtime) in prev:
        path = b"/" + key
        try:
            if b"?" in key:
                _check_name(path)
            st = lstat(path)
        except Unusable as e:
            out.problems[key] = str(e)
            continue
        except OSError:
            out.gone.add(key)
            continue
        if not isreg(st.st_mode):
            out.gone.add(key)
        elif st.st_ctime_ns >= since:
            out.problems[key] = f"{os.fsdecode(path)} changed during the backup"
        elif st.st_size != size or borg_mtime(st.st_mtime_ns) != mtime:
            out.problems[key] = f"{os.fsdecode(path)} differs from the backup before though " \
                "borg found it unchanged"
    return out


def changes_from_create(listed: Sequence[tuple[str, str]], started_ns: int, nfiles: int,
                        sources: Sequence[str], before: Before,
                        looked: Looked | None = None) -> Listing:
    """The archive's files as changes since `before`, from borg's file_status lines (those
    of LIST_FILTER) and a look at the files of `before` (`looked`, made while borg ran, or
    now); Unusable says why not."""
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
    held: list[bytes] = []
    for key in prev:
        if key in written:
            continue
        if not (key.startswith(inside) or key in tops) or key.startswith(outside) \
                or key in dropped:
            gone.append(key)
        else:
            held.append(key)
    if looked is None:
        looked = look(((k, prev[k]) for k in held), scan.since)
    kept = 0
    for key in held:
        if key in looked.gone:
            gone.append(key)
        elif key in looked.problems:
            raise Unusable(looked.problems[key])
        else:
            kept += 1
    if kept + counted != nfiles:
        raise Unusable(f"borg counts {nfiles} files, its list {kept + counted}")
    return Listing(files, base=base, gone=gone, total=kept + len(files))


class Prescan:
    """The index's newest backup, and a look at its files, in a thread while borg runs (its
    CPU is then off the run's wall time). Sound: a file changed before borg read it is
    written (M) and looked at again after; one changed after the look and before borg's read
    is written too; one deleted in between is counted by borg and not by the list."""

    def __init__(self, index: Path, started_ns: int) -> None:
        self.index, self.since = index, started_ns - TICK_NS
        self.before: Before = (None, {})
        self.looked: Looked | None = None
        self.error: Unusable | None = None
        self._thread = threading.Thread(target=self._run, name="findex-prescan", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.before = newest_indexed(self.index)
            self.looked = look(self.before[1].items(), self.since)
        except Exception as e:  # read when the run asks for it
            self.error = Unusable(f"the index could not be read: {e}")

    def result(self) -> tuple[Before, Looked | None]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.before, self.looked


def newest_indexed(index: Path) -> Before:
    """The files of the newest backup in the index at `index`."""
    if not index.exists():
        return None, {}
    ix = open_index(index)
    try:
        last = ix.last_backup()
        if last is None:
            return None, {}
        return last.name, {p: (s, m) for p, s, m, _hash in ix.held_newest()}
    finally:
        ix.close()


def created_files(backup_id: int, listed: Sequence[tuple[str, str]] | None, started_ns: int,
                  nfiles: int, sources: Sequence[str], prescan: Prescan, listing: FilesOf,
                  say: Callable[[str], None]) -> FilesOf:
    """The file lists for indexing a borg run's backup `backup_id`: its changes from the
    create's list when usable, else (and for any other archive, or a whole list) from
    `listing` (borg list)."""

    def files(b: BackupInfo, changes: bool) -> list[FileEntry] | Listing:
        if b.id == backup_id and listed is not None and changes:
            try:
                before, looked = prescan.result()
                return changes_from_create(listed, started_ns, nfiles, sources, before, looked)
            except Unusable as e:
                say(f"File index: the archive is listed by borg ({e}).")
        return listing(b, changes)

    return files
