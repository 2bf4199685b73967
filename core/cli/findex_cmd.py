"""`backupdesk find|diff|reindex`: the file index (core.findex)."""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from core.cli.context import CliContext, print_table
from core.errors import NotFoundError, UsageError
from core.fmt import count, human_bytes, local_time, signed_bytes
from core.timeutil import to_naive_utc


def register(sub: Any) -> None:
    fd = sub.add_parser("find", help="find files across all backups: every version of each")
    fd.add_argument("pattern", help="part of a name in any case (report), a glob on the "
                    "name (*.pdf) or, with a /, on the path")
    fd.add_argument("--plan", action="append", default=[], help="only this plan (repeatable)")
    fd.add_argument("--since", type=parse_date, metavar="DATE",
                    help="only versions held by a backup made since DATE (local time)")
    fd.add_argument("--json", action="store_true", help="one JSON object per path, a line each")
    fd.set_defaults(func=_find)

    df = sub.add_parser("diff", help="what changed between two backups of a plan")
    df.add_argument("a", type=int, metavar="A", help="the older backup's ID")
    df.add_argument("b", type=int, metavar="B", help="the newer backup's ID")
    df.add_argument("--stat", action="store_true", help="sizes per top-level folder")
    df.add_argument("--json", action="store_true")
    df.set_defaults(func=_diff)

    ri = sub.add_parser("reindex", help="rebuild the file index from the backups")
    ri.add_argument("plan", nargs="?", help="only this plan")
    ri.set_defaults(func=_reindex)


def parse_date(text: str) -> datetime:
    """A date or date and time, local unless it names a zone; as naive UTC."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    return to_naive_utc(dt if dt.tzinfo is not None else dt.astimezone())


def dump_line(obj: Any) -> None:
    """One JSON object on a line; odd bytes in paths stay lone surrogates (\\udcNN)."""
    sys.stdout.write(json.dumps(obj) + "\n")


def _plans(ctx: CliContext, names: list[str]) -> list[Any]:
    from core.catalogue.plans import all_plans, find_plan  # not core.plans: its editing too

    if not names:
        return all_plans(ctx.catalogue)
    found = [(n, find_plan(ctx.catalogue, n)) for n in names]
    for n, p in found:
        if p is None:
            raise NotFoundError(f"No plan named {n!r}.")
    return [p for _n, p in found]


def _find(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.findex.find import find
    from core.findex.versions import modified, show_path

    n = 0
    plans = _plans(ctx, a.plan)
    for hit in find(ctx.catalogue, plans, a.pattern, since=a.since):
        n += 1
        if a.json:
            dump_line(hit.to_json())
            continue
        print(f"{hit.plan}: {show_path(hit.path)}")
        for v in hit.versions:
            span = (f"backup {v.first.id}" if v.first.id == v.last.id
                    else f"backups {v.first.id}..{v.last.id} ({v.backups})")
            print(f"  {v.number}. {human_bytes(v.size or 0)}, modified {modified(v.mtime_ns)}; "
                  f"{span}, {local_time(v.first.created_at)} to {local_time(v.last.created_at)}")
    if n == 0 and not a.json:
        from core.findex.indexing import plan_index_path

        indexed = any(plan_index_path(ctx.catalogue, p.id).exists() for p in plans)
        print(f"No file matches {a.pattern!r}." if indexed else
              "No backup is in the file index yet: `backupdesk reindex` builds it.",
              file=sys.stderr)
    return 0 if n else 1


def _diff(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.backups import get_backup
    from core.findex.diff import added_line, changed_line, deleted_line, diff, write_lines
    from core.findex.indexing import files_of_backup

    cat = ctx.catalogue
    x, y = get_backup(cat, a.a), get_backup(cat, a.b)
    raw = getattr(sys.stdout, "buffer", None)  # none when stdout is not a file
    utf8 = codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name == "utf-8"
    if raw is not None and (a.json or utf8):
        sys.stdout.flush()  # the lines go as bytes, as the index's C part writes them
        folders = write_lines(cat, x, y, files_of_backup(cat), raw, a.json, a.stat)
        if folders is not None:
            if a.json:
                raw.write(b"\n")
            elif a.stat:
                _folder_table(folders)
            return 0
    d = diff(cat, x, y, files_of_backup(cat))
    gc.freeze()  # its rows live as long as the process: collections would only walk them
    if a.json:
        for piece in d.json_text(stat=a.stat):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
        return 0
    _write_batched(map(added_line, d.added))
    _write_batched(map(changed_line, d.changed))
    _write_batched(map(deleted_line, d.deleted))
    print(d.totals_sentence())
    if a.stat:
        _folder_table(d.by_folder())
    return 0


def _folder_table(folders: dict[str, dict[str, int]]) -> None:
    from core.findex.versions import show_path  # odd bytes of a name as \xNN

    print_table(["FOLDER", "ADDED", "CHANGED", "DELETED", "BYTES"],
                [[show_path(name), str(f["added"]), str(f["changed"]), str(f["deleted"]),
                  signed_bytes(f["bytes"])] for name, f in folders.items()])


def _write_batched(lines: Iterator[str], batch: int = 10_000) -> None:
    """print() of each line, a write per `batch` lines."""
    while chunk := "".join(islice(lines, batch)):
        sys.stdout.write(chunk)


def _reindex(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.findex.indexing import files_of_backup, reindex

    cat = ctx.catalogue
    plans = _plans(ctx, [a.plan] if a.plan else [])
    if not plans:
        raise UsageError("No plan to index.")
    left = 0
    for p in plans:
        done, out = reindex(cat, p.name, p.id, files_of_backup(cat, ctx.config.paths))
        left += out
        print(f"{p.name}: {count(done, 'backup')} indexed"
              + (f", {out} could not be read." if out else "."))
    return 3 if left else 0
