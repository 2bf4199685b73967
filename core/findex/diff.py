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
from typing import IO, Any, TypeVar

from core.backups import BackupInfo
from core.catalogue.db import Catalogue
from core.errors import UsageError
from core.findex.feed import folder_named, folder_of
from core.findex.indexing import FilesOf, index_backup, plan_index_path, ref
from core.findex.store import FAST_DIFF, Index, VersionRow, open_index
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
        return _biggest_first(out)

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


Folders = dict[str, dict[str, int]]  # Diff.by_folder()


def write_lines(cat: Catalogue, a: BackupInfo, b: BackupInfo, files_of: FilesOf,
                out: IO[bytes], as_json: bool, stat: bool = False) -> Folders | None:
    """`diff A B [--json] [--stat]` written by the index's C part (what the CLI writes from a
    Diff, byte for byte): a million paths never become Python objects. For the text, the
    change per folder (`--stat`, else empty) is the caller's to print; None, with nothing
    written, where the C part is not built."""
    if not FAST_DIFF:
        return None
    ix = _open_indexed(cat, a, b, files_of)
    try:
        return (json_into if as_json else text_into)(out, ix, a, b, stat)
    finally:
        ix.close()


def json_into(out: IO[bytes], ix: Index, a: BackupInfo, b: BackupInfo, stat: bool = False
              ) -> Folders:
    """write_lines() as JSON, from an index holding both backups."""
    out.write(_json_head(a, b).encode())
    totals, folders = _write_diff(out, ix, a, b, True, stat)
    out.write(f'], "totals": {json.dumps(totals)}'.encode())
    if stat:
        out.write(f', "folders": {json.dumps(folders)}'.encode())
    out.write(b"}")
    return folders


def text_into(out: IO[bytes], ix: Index, a: BackupInfo, b: BackupInfo, stat: bool = False
              ) -> Folders:
    """`diff A B` as lines (+ added, M changed, - deleted, then the totals), from an index
    holding both backups; the bytes the CLI writes from a Diff (for a UTF-8 output)."""
    totals, folders = _write_diff(out, ix, a, b, False, stat)
    out.write(f"{sentence(totals)}\n".encode())
    return folders


_TOTALS = ("added", "changed", "deleted", "bytes_added", "bytes_changed", "bytes_deleted")


def _write_diff(out: IO[bytes], ix: Index, a: BackupInfo, b: BackupInfo, as_json: bool,
                stat: bool) -> tuple[dict[str, int], Folders]:
    between = (b'], "changed": [', b'], "deleted": [') if as_json else (b"", b"")
    common = os.fsencode(ix.get_meta("common_dir") or "")
    counts, rows = ix.write_diff(_seq(ix, a), _seq(ix, b), as_json, between, out.write,
                                 _odd_json if as_json else _odd_text, common if stat else None)
    folders = _biggest_first({folder_named(head, common): dict(zip(
        ("added", "changed", "deleted", "bytes"), figures, strict=True))
        for head, *figures in rows or ()})
    return dict(zip(_TOTALS, counts, strict=True)), folders


def _biggest_first(folders: Folders) -> Folders:
    return dict(sorted(folders.items(), key=lambda kv: -abs(kv[1]["bytes"])))


def _odd_rows(path: bytes, size_a: int | None, mtime_a: int | None, size_b: int | None,
              mtime_b: int | None) -> tuple[VersionRow, VersionRow]:
    return (VersionRow(path, 0, 0, None, size_a, mtime_a, None),
            VersionRow(path, 0, 0, None, size_b, mtime_b, None))


def _odd_json(kind: int, *row: Any) -> bytes:
    """An entry of `diff --json` the C part leaves to Python (core.findex.store.Odd)."""
    o, n = _odd_rows(*row)
    return (_one(n) if kind == 0 else _one_changed((o, n)) if kind == 1 else _one(o)).encode()


def _odd_text(kind: int, *row: Any) -> bytes:
    """A line of `diff` the C part leaves to Python."""
    o, n = _odd_rows(*row)
    return (added_line(n) if kind == 0 else changed_line((o, n)) if kind == 1
            else deleted_line(o)).encode()


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
