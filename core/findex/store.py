"""The file index of one plan: a SQLite file of its own beside the catalogue, and every SQL
statement on it (the index's own gateway; the catalogue's SQL stays in core/catalogue/).

Layout (chosen on measurement, docs/benchmarks.md "File index"):

- `backups`: one row per indexed backup, `seq` in creation order; `ref` names the catalogue's
  backup ("b:ID").
- `paths`: each path once, as its raw bytes stored as TEXT (odd bytes kept; GLOB scans it),
  with its CRC-32 `h` indexed (a path looked up without an index on the text itself: half
  the size).
- `versions`: each distinct (path, size, mtime, hash) once per run of backups holding it:
  `first` and `last` seq, `last` NULL while the newest backup still holds it. A backup adds rows
  only for what changed against its predecessor.

A backup that is deleted, pruned or found gone from its repository leaves the index
(`remove_backups`, called where the job layer records it gone): its row goes, and each version
range shrinks to the backups that remain: a `first` or `last` that was removed moves inward to
the nearest remaining backup of the range, a range with no remaining backup goes, and when the
newest backup goes, the versions the new newest holds get `last` NULL again (so the next backup
is compared with the newest remaining one). Paths no version names any more go too. *Why not
only filter at query time:* the readers also join with the catalogue (core.findex.versions),
but an index that kept every pruned backup's versions would grow forever under keep rules and
would compare a new backup with a deleted one. A seq freed at the top may be given again: no
row names it any more.

The index is a cache: it is rebuilt from the backups (`backupdesk reindex`) and a damaged file is
dropped and rebuilt, never an error for a backup or a restore.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote
from zlib import crc32

SCHEMA_VERSION = 2  # another version is dropped and rebuilt
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS backups(
    seq INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    created_at TEXT NOT NULL, files INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS paths(id INTEGER PRIMARY KEY, path TEXT NOT NULL, h INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS paths_h ON paths(h);
CREATE TABLE IF NOT EXISTS versions(
    path_id INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER,
    size INTEGER, mtime_ns INTEGER, hash INTEGER,
    PRIMARY KEY(path_id, first)) WITHOUT ROWID;
"""

_CHUNK = 500  # values in one IN (...) list

# odd(kind: 0 added, 1 changed, 2 deleted, path, size at a, mtime at a, size at b, mtime at b)
Odd = Callable[[int, bytes, int | None, int | None, int | None, int | None], bytes]
# (a top folder's name below the common folder, files added, changed, deleted, bytes)
FolderRow = tuple[bytes, int, int, int, int]
try:
    from core.findex import _fastdiff
except ImportError:  # pragma: no cover - not built (no compiler or libsqlite3-dev)
    _fastdiff = None  # type: ignore[assignment]
if os.environ.get("BACKUPDESK_FASTPACK") == "0":  # the C parts off: Python's code only
    _fastdiff = None  # type: ignore[assignment]
FAST_DIFF = _fastdiff is not None

# (path id, first seq, size, mtime_ns, hash)
Alive = tuple[int, int, int | None, int | None, int | None]
# (path id, size, mtime_ns, hash)
NewVersion = tuple[int, int | None, int | None, int | None]


@dataclass(frozen=True)
class IndexedBackup:
    seq: int
    ref: str
    name: str
    created_at: str
    files: int


class VersionRow(NamedTuple):  # a tuple: diffs of a million rows make one each
    path: bytes
    path_id: int
    first: int
    last: int | None
    size: int | None
    mtime_ns: int | None
    hash: int | None


def index_dir(catalogue_file: Path | None, data_dir: Path, catalogue_url: str) -> Path:
    """Beside a catalogue file; for a database server, under the data folder, one folder per
    catalogue (its URL without password, hashed)."""
    if catalogue_file is not None:
        return catalogue_file.parent / "findex"
    return data_dir / "findex" / hashlib.sha256(catalogue_url.encode()).hexdigest()[:16]


def index_file(folder: Path, plan_id: int) -> Path:
    return folder / f"plan-{plan_id}.sqlite3"


class DamagedIndex(Exception):
    """The index file cannot be read: the caller drops it and rebuilds."""


class Index:
    """One plan's index file, open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old = os.umask(0o077)
        try:
            self.con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            self.con.text_factory = bytes
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")
            self.con.executescript(_SCHEMA)
            row = self.con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.con.execute("INSERT INTO meta VALUES('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise DamagedIndex(f"{path}: index schema {row[0]!r}")
        except sqlite3.DatabaseError as e:
            raise DamagedIndex(f"{path}: {e}") from e
        finally:
            os.umask(old)

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # --- backups ---------------------------------------------------------------------------
    def backups(self) -> list[IndexedBackup]:
        return [IndexedBackup(s, r.decode(), n.decode(), c.decode(), f) for s, r, n, c, f in
                self.con.execute("SELECT seq, ref, name, created_at, files FROM backups "
                                 "ORDER BY seq")]

    def last_backup(self) -> IndexedBackup | None:
        row = self.con.execute("SELECT seq, ref, name, created_at, files FROM backups "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else IndexedBackup(row[0], row[1].decode(), row[2].decode(),
                                                      row[3].decode(), row[4])

    def has_backup(self, ref: str) -> bool:
        return self.seq_of(ref) is not None

    def seq_of(self, ref: str) -> int | None:
        row = self.con.execute("SELECT seq FROM backups WHERE ref=?", (ref,)).fetchone()
        return None if row is None else int(row[0])

    def add_backup(self, ref: str, name: str, created_at: str, files: int) -> int:
        cur = self.con.execute("INSERT INTO backups(ref, name, created_at, files) "
                               "VALUES (?, ?, ?, ?)", (ref, name, created_at, files))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else os.fsdecode(bytes(row[0]))

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT INTO meta VALUES(?, ?) ON CONFLICT(key) DO UPDATE "
                         "SET value=excluded.value", (key, os.fsencode(value)))

    # --- feeding ---------------------------------------------------------------------------
    def path_ids(self) -> dict[bytes, int]:
        return dict(self.con.execute("SELECT path, id FROM paths"))

    def alive(self) -> dict[int, Alive]:
        """The versions the newest backup holds, by path id."""
        return {r[0]: r for r in self.con.execute(
            "SELECT path_id, first, size, mtime_ns, hash FROM versions WHERE last IS NULL")}

    def held_newest(self) -> Held:
        """(path, size, mtime_ns, hash) of each file the newest backup holds."""
        return _held_newest(self.con)

    def add_paths(self, rows: list[tuple[int, bytes]]) -> None:
        self.con.executemany("INSERT INTO paths(id, path, h) VALUES (?, CAST(? AS TEXT), ?)",
                             ((i, p, crc32(p)) for i, p in rows))

    def find_path_ids(self, paths: Iterable[bytes]) -> dict[bytes, int]:
        """The ids of those of `paths` the index knows."""
        wanted = set(paths)
        out: dict[bytes, int] = {}
        hs = sorted({crc32(p) for p in wanted})
        for i in range(0, len(hs), _CHUNK):
            part = hs[i:i + _CHUNK]
            for pid, p in self.con.execute(
                    f"SELECT id, path FROM paths WHERE h IN ({','.join('?' * len(part))})",
                    part):
                if bytes(p) in wanted:
                    out[bytes(p)] = pid
        return out

    def alive_of(self, path_ids: Iterable[int]) -> dict[int, Alive]:
        """alive() for these paths only."""
        ids = sorted(set(path_ids))
        out: dict[int, Alive] = {}
        for i in range(0, len(ids), _CHUNK):
            part = ids[i:i + _CHUNK]
            out.update((r[0], r) for r in self.con.execute(
                "SELECT path_id, first, size, mtime_ns, hash FROM versions WHERE last IS NULL"
                f" AND path_id IN ({','.join('?' * len(part))})", part))
        return out

    def next_path_id(self) -> int:
        return int(self.con.execute("SELECT coalesce(max(id), 0) + 1 FROM paths").fetchone()[0])

    def close_versions(self, ended: list[tuple[int, int]], last: int) -> None:
        """End the versions (path id, first) at seq `last`."""
        self.con.executemany("UPDATE versions SET last=? WHERE path_id=? AND first=?",
                             ((last, p, f) for p, f in ended))

    def add_versions(self, seq: int, rows: Iterable[NewVersion]) -> None:
        self.con.executemany(
            "INSERT INTO versions(path_id, first, last, size, mtime_ns, hash) "
            "VALUES (?, ?, NULL, ?, ?, ?)", ((p, seq, s, m, h) for p, s, m, h in rows))

    def remove_backups(self, refs: Iterable[str]) -> int:
        """Take these backups out (the module's docstring says how ranges shrink); how many
        the index held. Three scans of `versions` (not indexed by seq): for a delete or
        prune, not per query."""
        wanted = sorted(set(refs))
        seqs = [s for (s,) in self._in("SELECT seq FROM backups WHERE ref IN ({})", wanted)]
        if not seqs:
            return 0
        with self.transaction():
            top = int(self.con.execute("SELECT max(seq) FROM backups").fetchone()[0])
            self.con.execute("CREATE TEMP TABLE IF NOT EXISTS gone(seq INTEGER PRIMARY KEY)")
            self.con.execute("DELETE FROM gone")
            self.con.executemany("INSERT INTO gone VALUES (?)", ((s,) for s in seqs))
            self.con.execute("DELETE FROM backups WHERE seq IN (SELECT seq FROM gone)")
            self.con.execute(
                "DELETE FROM versions WHERE first IN (SELECT seq FROM gone) AND NOT EXISTS ("
                "SELECT 1 FROM backups b WHERE b.seq > versions.first "
                "AND b.seq <= coalesce(versions.last, ?))", (top,))
            self.con.execute(
                "UPDATE versions SET first = (SELECT min(seq) FROM backups b "
                "WHERE b.seq > versions.first) WHERE first IN (SELECT seq FROM gone)")
            self.con.execute(
                "UPDATE versions SET last = (SELECT max(seq) FROM backups b "
                "WHERE b.seq < versions.last) WHERE last IN (SELECT seq FROM gone)")
            if top in seqs:
                self.con.execute("UPDATE versions SET last = NULL WHERE last = "
                                 "(SELECT max(seq) FROM backups)")
            self.con.execute("DELETE FROM paths WHERE NOT EXISTS "
                             "(SELECT 1 FROM versions v WHERE v.path_id = paths.id)")
            self.con.execute("DELETE FROM gone")
        return len(seqs)

    def _in(self, sql: str, values: list[str]) -> Iterator[tuple[int]]:
        for i in range(0, len(values), _CHUNK):
            part = values[i:i + _CHUNK]
            yield from self.con.execute(sql.format(",".join("?" * len(part))), part)

    def clear(self) -> None:
        self.con.execute("DELETE FROM versions")
        self.con.execute("DELETE FROM paths")
        self.con.execute("DELETE FROM backups")

    # --- reading ---------------------------------------------------------------------------
    def matching(self, glob: str) -> list[tuple[int, bytes]]:
        """Paths matching a GLOB over the whole path, as (id, path)."""
        return [(i, bytes(p)) for i, p in
                self.con.execute("SELECT id, path FROM paths WHERE path GLOB ?", (glob,))]

    def containing(self, text: str) -> list[tuple[int, bytes]]:
        """Paths holding `text`, ASCII letters in any case (LIKE), as (id, path)."""
        like = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
        return [(i, bytes(p)) for i, p in self.con.execute(
            "SELECT id, path FROM paths WHERE path LIKE ? ESCAPE '\\'", (like,))]

    def path_id(self, path: bytes) -> int | None:
        row = self.con.execute("SELECT id FROM paths WHERE h = ? AND path = CAST(? AS TEXT)",
                               (crc32(path), path)).fetchone()
        return None if row is None else int(row[0])

    def versions_of(self, path_id: int) -> list[tuple[int, int | None, int | None, int | None,
                                                      int | None]]:
        """(first, last, size, mtime_ns, hash) of each version of a path, oldest first."""
        return list(self.con.execute(
            "SELECT first, last, size, mtime_ns, hash FROM versions WHERE path_id=? "
            "ORDER BY first", (path_id,)))

    def held_at(self, seq: int) -> Iterator[VersionRow]:
        """The versions backup `seq` holds (a full scan: for checks and rebuilds)."""
        return map(VersionRow._make, self.con.execute(
            "SELECT p.path, v.path_id, v.first, v.last, v.size, v.mtime_ns, v.hash "
            "FROM versions v JOIN paths p ON p.id = v.path_id "
            "WHERE v.first <= ?1 AND (v.last IS NULL OR v.last >= ?1)", (seq,)))

    def changed_between(self, a: int, b: int) -> list[tuple[VersionRow, VersionRow]]:
        """(version at `a`, version at `b`) of each path both backups hold in different
        versions (size, mtime or hash differ), unordered: one scan of the versions held at
        `a`, each joined to its path's version at `b` through the primary key."""
        return list(map(_pair, self.con.execute(f"{_PAIR} {_CHANGED}", (a, b))))

    def write_diff(self, a: int, b: int, as_json: bool, between: tuple[bytes, bytes],
                   write: Callable[[bytes], object], odd: Odd, common: bytes | None = None
                   ) -> tuple[tuple[int, ...], list[FolderRow] | None]:
        """What changed from backup `a` to `b`, written by the C part (FAST_DIFF) in path
        order: the added entries of `diff --json` (or lines of `diff`), between[0], the
        changed ones, between[1], the deleted ones; odd() gives the text of an entry the C part
        leaves to Python. (added, changed, deleted, bytes added, bytes changed now, bytes
        deleted), and with `common` (the folder common to the plan's files) the change per
        top folder below it, in the order the folders first appear."""
        if _fastdiff is None:
            raise RuntimeError("core.findex._fastdiff is not built")
        *counts, folders = _fastdiff.diff(
            self.path, _VERSIONS_OF, "SELECT path FROM paths WHERE id = ?",
            "SELECT id, path FROM paths ORDER BY id", "SELECT max(id) FROM paths", a, b,
            as_json, between, write, odd, common)
        return tuple(counts), folders

    def only_in(self, a: int, b: int) -> list[VersionRow]:
        """The versions backup `a` holds of paths backup `b` does not hold, unordered."""
        new = tuple.__new__
        return [new(VersionRow, r) for r in self.con.execute(
            "SELECT p.path, o.path_id, o.first, o.last, o.size, o.mtime_ns, o.hash "
            "FROM versions o JOIN paths p ON p.id = o.path_id "
            f"WHERE {_held('o', '?1')} AND NOT {_held('o', '?2')} "
            "AND NOT EXISTS (SELECT 1 FROM versions n "
            f"WHERE n.path_id = o.path_id AND {_held('n', '?2')})", (a, b))]


Held = set[tuple[bytes, int | None, int | None, int | None]]


def _held_newest(con: sqlite3.Connection) -> Held:
    return set(con.execute(
        "SELECT p.path, v.size, v.mtime_ns, v.hash FROM versions v "
        "JOIN paths p ON p.id = v.path_id WHERE v.last IS NULL"))


# The newest backup's ref, held_newest() and their paths.
Newest = tuple[str, Held, set[bytes]]


def read_newest(path: Path) -> Newest | None:
    """The newest backup's ref, held_newest() and its paths, read only (no file is made); None
    without one. For a thread of its own: its own connection."""
    try:
        con = sqlite3.connect(f"file:{quote(os.fsencode(path))}?mode=ro", uri=True, timeout=5,
                              isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        con.text_factory = bytes
        con.execute("BEGIN")  # the ref and the files of the same moment
        row = con.execute("SELECT ref FROM backups ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return None
        held = _held_newest(con)
        return row[0].decode(), held, {h[0] for h in held}
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _held(v: str, seq: str) -> str:
    """SQL: version `v` is held by backup `seq`."""
    return f"({v}.first <= {seq} AND ({v}.last IS NULL OR {v}.last >= {seq}))"


# A path's version `o` and version `n` as one row; _pair() makes them two VersionRows.
_PAIR = ("SELECT p.path, o.path_id, o.first, o.last, o.size, o.mtime_ns, o.hash, "
         "n.first, n.last, n.size, n.mtime_ns, n.hash")


def _pair(r: tuple[Any, ...]) -> tuple[VersionRow, VersionRow]:
    new = tuple.__new__  # a tuple: diffs of a million rows make one each
    return new(VersionRow, r[:7]), new(VersionRow, r[:2] + r[7:])


# Every version held at backup ?1 or ?2, in path id order (the primary key's: no sort).
_VERSIONS_OF = ("SELECT path_id, first, last, size, mtime_ns, hash FROM versions v "
                f"WHERE {_held('v', '?1')} OR {_held('v', '?2')} ORDER BY path_id")

# The versions `o` held at backup ?1 and `n` held at ?2 of each path both hold differently.
_CHANGED = (
    "FROM versions o "
    f"JOIN versions n ON n.path_id = o.path_id AND {_held('n', '?2')} "
    f"AND NOT {_held('n', '?1')} JOIN paths p ON p.id = o.path_id "
    f"WHERE {_held('o', '?1')} AND NOT {_held('o', '?2')} "
    "AND NOT (o.size IS n.size AND o.mtime_ns IS n.mtime_ns AND o.hash IS n.hash)")


def open_index(path: Path) -> Index:
    """Open (or create) an index file; a damaged one is dropped and created empty."""
    try:
        return Index(path)
    except DamagedIndex:
        drop(path)
        return Index(path)


def drop(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass
