"""`diff A B`: what changed between two backups of a plan, from its index (a backup not yet
indexed is indexed first)."""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import IO, TypeVar

from core.backups import BackupInfo
from core.catalogue.db import Catalogue
from core.errors import UsageError
from core.findex.feed import folder_of
from core.findex.indexing import FilesOf, index_backup, plan_index_path, ref
from core.findex.store import Index, VersionRow, open_index
from core.findex.versions import modified, mtime_iso, show_path
from core.fmt import count, human_bytes

T = TypeVar("T")


@dataclass
class Diff:
    a: BackupInfo
    b: BackupInfo
    added: list[VersionRow] = field(default_factory=list)
    changed: list[tuple[VersionRow, VersionRow]] = field(default_factory=list)
    deleted: list[VersionRow] = field(default_factory=list)
    common: bytes = b""  # the folder common to the plan's files (core.findex.feed.folder_of)

    def totals(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed),
                "deleted": len(self.deleted),
                "bytes_added": _bytes(self.added),
                "bytes_changed": _bytes(map(_after, self.changed)),
                "bytes_deleted": _bytes(self.deleted)}

    def totals_sentence(self) -> str:
        return sentence(self.totals())

    def by_folder(self) -> dict[str, dict[str, int]]:
        """Per top-level folder: files and bytes added, changed and deleted."""
        out: dict[str, dict[str, int]] = {}

        def put(path: bytes, what: str, size: int | None) -> None:
            f = out.setdefault(folder_of(path, self.common),
                               {"added": 0, "changed": 0, "deleted": 0, "bytes": 0})
            f[what] += 1
            f["bytes"] += -(size or 0) if what == "deleted" else (size or 0)

        for r in self.added:
            put(r.path, "added", r.size)
        for o, n in self.changed:
            put(n.path, "changed", (n.size or 0) - (o.size or 0))
        for r in self.deleted:
            put(r.path, "deleted", r.size)
        return dict(sorted(out.items(), key=lambda kv: -abs(kv[1]["bytes"])))

    def json_text(self, stat: bool = False) -> Iterator[str]:
        """The diff as one JSON object (json.dumps' own text), in pieces of up to _BATCH
        entries: a million entries go out without a million dicts."""
        yield _json_head(self.a, self.b)
        yield from _batches(_one, self.added)
        yield '], "changed": ['
        yield from _batches(_one_changed, self.changed)
        yield '], "deleted": ['
        yield from _batches(_one, self.deleted)
        yield f'], "totals": {json.dumps(self.totals())}'
        if stat:
            yield f', "folders": {json.dumps(self.by_folder())}'
        yield "}"


def sentence(t: dict[str, int]) -> str:
    """Totals in words: 3 files added (1.2 MiB), 2 changed (40 KiB now), 1 deleted (0 B)."""
    return (f"{count(t['added'], 'file')} added ({human_bytes(t['bytes_added'])}), "
            f"{t['changed']} changed ({human_bytes(t['bytes_changed'])} now), "
            f"{t['deleted']} deleted ({human_bytes(t['bytes_deleted'])}).")


def _json_head(a: BackupInfo, b: BackupInfo) -> str:
    return (f'{{"a": {json.dumps({"id": a.id, "name": a.name})}, '
            f'"b": {json.dumps({"id": b.id, "name": b.name})}, "added": [')


def write_lines(cat: Catalogue, a: BackupInfo, b: BackupInfo, files_of: FilesOf,
                out: IO[bytes], as_json: bool) -> None:
    """`diff A B [--json]` (what the CLI writes from a Diff, byte for byte), the changed
    paths written as SQLite gives their text, in path order: a million changed paths never
    become Python objects."""
    ix = _open_indexed(cat, a, b, files_of)
    try:
        (json_into if as_json else text_into)(out, ix, a, b)
    finally:
        ix.close()


def _one_sided(ix: Index, a: BackupInfo, b: BackupInfo) -> tuple[int, int, Diff]:
    """Both backups' seqs and a Diff holding only the added and deleted paths (the changed
    ones are streamed)."""
    sa, sb = _seq(ix, a), _seq(ix, b)
    d = Diff(a, b)
    with no_gc():
        d.added, d.deleted = _sorted(ix.only_in(sb, sa)), _sorted(ix.only_in(sa, sb))
    return sa, sb, d


def json_into(out: IO[bytes], ix: Index, a: BackupInfo, b: BackupInfo) -> None:
    """write_lines() as JSON, from an index holding both backups."""
    sa, sb, d = _one_sided(ix, a, b)
    out.write(_json_head(a, b).encode())
    for piece in _batches(_one, d.added):
        out.write(piece.encode())
    out.write(b'], "changed": [')
    changed, after = _changed_into(out, ix, sa, sb, True)
    out.write(b'], "deleted": [')
    for piece in _batches(_one, d.deleted):
        out.write(piece.encode())
    totals = d.totals()
    totals.update(changed=changed, bytes_changed=after)
    out.write(f'], "totals": {json.dumps(totals)}}}'.encode())


def text_into(out: IO[bytes], ix: Index, a: BackupInfo, b: BackupInfo) -> None:
    """`diff A B` as lines (+ added, M changed, - deleted, then the totals), the changed
    paths' lines as SQLite writes them; the same bytes as the CLI writes from a Diff (for a
    UTF-8 output)."""
    sa, sb, d = _one_sided(ix, a, b)
    out.write("".join(map(added_line, d.added)).encode())
    changed, after = _changed_into(out, ix, sa, sb, False)
    out.write("".join(map(deleted_line, d.deleted)).encode())
    t = d.totals()
    t.update(changed=changed, bytes_changed=after)
    out.write(f"{sentence(t)}\n".encode())


def _changed_into(out: IO[bytes], ix: Index, sa: int, sb: int, as_json: bool
                  ) -> tuple[int, int]:
    """The changed paths' lines of `diff` (or objects of `--json`); (how many, bytes after)."""
    changed = after = 0
    odd_line = _one_changed if as_json else changed_line
    for rows in ix.changed_lines(sa, sb, as_json):
        odd = [r[2] for r in rows if r[0] is None]
        theirs = ix.changed_of(sa, sb, odd) if odd else {}
        lines = [r[0] if r[0] is not None else odd_line(theirs[r[2]]).encode() for r in rows]
        if as_json:
            out.write((b", " if changed else b"") + b", ".join(lines))
        else:
            out.write(b"".join(lines))
        changed += len(rows)
        after += sum(filter(None, map(_after, rows)))
    return changed, after


def changed_line(x: tuple[VersionRow, VersionRow]) -> str:
    o, r = x
    return (f"M {show_path(r.path)}  {human_bytes(o.size or 0)} -> {human_bytes(r.size or 0)}, "
            f"modified {modified(o.mtime_ns)} -> {modified(r.mtime_ns)}\n")


def added_line(r: VersionRow) -> str:
    return f"+ {show_path(r.path)}  {human_bytes(r.size or 0)}\n"


def deleted_line(r: VersionRow) -> str:
    return f"- {show_path(r.path)}  {human_bytes(r.size or 0)}\n"


_BATCH = 20_000


def _batches(item: Callable[[T], str], rows: list[T]) -> Iterator[str]:
    for i in range(0, len(rows), _BATCH):
        yield (", " if i else "") + ", ".join(map(item, rows[i:i + _BATCH]))


def _one(r: VersionRow) -> str:
    return f'{{"path": {_jpath(r[0])}, "size": {_jint(r[4])}, "mtime": {_jtime(r[5])}}}'


def _one_changed(x: tuple[VersionRow, VersionRow]) -> str:
    o, n = x
    return (f'{{"path": {_jpath(n[0])}, "size_before": {_jint(o[4])}, "size_after": '
            f'{_jint(n[4])}, "mtime_before": {_jtime(o[5])}, "mtime_after": {_jtime(n[5])}}}')


def _jpath(path: bytes) -> str:
    return encode_basestring_ascii(path.decode(_FS_ENCODING, _FS_ERRORS))  # as json_path


_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def _jint(n: int | None) -> str:
    return "null" if n is None else str(n)


def _jtime(ns: int | None) -> str:
    return "null" if ns is None else f'"{mtime_iso(ns)}"'


def _bytes(rows: Iterable[VersionRow]) -> int:
    return sum(filter(None, map(_size, rows)))


_path, _size, _after = itemgetter(0), itemgetter(4), itemgetter(1)


def _sorted(rows: list[VersionRow]) -> list[VersionRow]:
    rows.sort(key=_path)
    return rows


def diff(cat: Catalogue, a: BackupInfo, b: BackupInfo, files_of: FilesOf) -> Diff:
    ix = _open_indexed(cat, a, b, files_of)
    try:
        return _diff(ix, a, b)
    finally:
        ix.close()


def _open_indexed(cat: Catalogue, a: BackupInfo, b: BackupInfo, files_of: FilesOf) -> Index:
    """The plan's index, open, once both backups are in it."""
    if a.plan_id is None or a.plan_id != b.plan_id:
        raise UsageError(f"Backups {a.id} and {b.id} are not of the same plan.")
    for x in (a, b):
        index_backup(cat, x, files_of)
    return open_index(plan_index_path(cat, a.plan_id))


def _seq(ix: Index, x: BackupInfo) -> int:
    seq = ix.seq_of(ref(x.id))
    if seq is None:
        raise UsageError(f"Backup {x.id} could not be indexed.")
    return seq


def _diff(ix: Index, a: BackupInfo, b: BackupInfo) -> Diff:
    d = Diff(a, b, common=os.fsencode(ix.get_meta("common_dir") or ""))
    d.added, d.changed, d.deleted = compare(ix, _seq(ix, a), _seq(ix, b))
    return d


def compare(ix: Index, sa: int, sb: int) -> tuple[list[VersionRow],
                                                   list[tuple[VersionRow, VersionRow]],
                                                   list[VersionRow]]:
    """Added, changed (before, after) and deleted from backup `sa` to `sb`, by path. A path
    held again as it was after a gap (deleted, then restored as it was) is no change."""
    with no_gc():  # a million rows of atoms: collections would only walk them
        changed = ix.changed_between(sa, sb)
        changed.sort(key=lambda x: x[1][0])
        added, deleted = _sorted(ix.only_in(sb, sa)), _sorted(ix.only_in(sa, sb))
    return added, changed, deleted


@contextmanager
def no_gc() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
