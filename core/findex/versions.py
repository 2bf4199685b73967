"""A path's versions across a plan's backups, as the backups that still exist hold them."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.backups import BackupInfo
from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.catalogue.models import Plan
from core.findex.indexing import backup_id_of, plan_backups
from core.findex.store import Index
from core.timeutil import iso

GONE = (LocationState.DELETED.value, LocationState.FAILED.value)


@dataclass(frozen=True)
class Version:
    number: int  # 1 is the oldest
    size: int | None
    mtime_ns: int | None
    first: BackupInfo  # the oldest existing backup holding it
    last: BackupInfo  # the newest
    backups: int  # how many existing backups hold it

    def to_json(self) -> dict[str, Any]:
        return {"version": self.number, "size": self.size, "mtime": mtime_iso(self.mtime_ns),
                "mtime_ns": self.mtime_ns, "backups": self.backups,
                "first_backup": _brief(self.first), "last_backup": _brief(self.last),
                "stored": stored_at(self.last)}


def mtime_iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return datetime.fromtimestamp(ns / 1e9).astimezone().isoformat(timespec="seconds")


def _brief(b: BackupInfo) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "created_at": iso(b.created_at)}


def stored_at(b: BackupInfo) -> list[str]:
    """Where a backup is now: its good copies' folders, or its repository."""
    repo = b.details.get("repository")
    if repo:
        return [str(repo)]
    return [loc.path for loc in b.locations if loc.state not in GONE and loc.path]


def show_path(path: bytes) -> str:
    """A path for a person to read (odd bytes as \\xNN)."""
    return path.decode("utf-8", "backslashreplace")


def json_path(path: bytes) -> str:
    """A path for JSON: odd bytes as lone surrogates (os.fsencode gives the bytes back)."""
    return os.fsdecode(path)


class PlanView:
    """One plan's index seen through the catalogue: which indexed backups still exist."""

    def __init__(self, cat: Catalogue, ix: Index, plan: Plan) -> None:
        self.ix, self.plan = ix, plan
        by_id = {b.id: b for b in plan_backups(cat, plan.name)}
        self.seqs: list[int] = []
        self.held: list[BackupInfo] = []
        for x in ix.backups():
            bid = backup_id_of(x.ref)
            if bid in by_id:
                self.seqs.append(x.seq)
                self.held.append(by_id[bid])
        self.top = max(self.seqs, default=0)

    def versions(self, path_id: int) -> list[Version]:
        out: list[Version] = []
        for first, last, size, mtime, _h in self.ix.versions_of(path_id):
            lo = bisect.bisect_left(self.seqs, first)
            hi = bisect.bisect_right(self.seqs, last if last is not None else self.top)
            if lo >= hi:
                continue  # every backup that held it is gone
            out.append(Version(len(out) + 1, size, mtime, self.held[lo], self.held[hi - 1],
                               hi - lo))
        return out

