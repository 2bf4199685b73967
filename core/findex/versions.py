"""A path's versions across a plan's backups, as the backups that still exist hold them."""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.backups import BackupFilter, BackupInfo, list_backups
from core.catalogue.backups import live_backup_ids
from core.catalogue.db import Catalogue
from core.catalogue.enums import LocationState
from core.catalogue.models import Plan
from core.errors import UsageError
from core.findex.indexing import backup_id_of, plan_index_path
from core.findex.store import Index, open_index
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
    """A modification time in UTC, as the catalogue's times are printed (what
    datetime.fromtimestamp(s, UTC).isoformat() says, for less: a diff prints millions)."""
    if ns is None:
        return None
    day, s = divmod(ns // 1_000_000_000, 86400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = _EPOCH.fromordinal(_EPOCH.toordinal() + day).isoformat()
    hms = _TIMES.get(s)
    if hms is None:
        hms = _TIMES[s] = f"T{s // 3600:02}:{s // 60 % 60:02}:{s % 60:02}Z"
    return date + hms


def modified(ns: int | None) -> str:
    """A modification time as `diff` and `find` print it: UTC, to the second."""
    return (mtime_iso(ns) or "?")[:19].replace("T", " ")


_EPOCH = datetime(1970, 1, 1).date()
_DAYS: dict[int, str] = {}
_TIMES: dict[int, str] = {}


def _brief(b: BackupInfo) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "created_at": iso(b.created_at)}


def stored_at(b: BackupInfo) -> list[str]:
    """Where a backup is now: its good copies' folders, or its repository."""
    repo = b.details.get("repository")
    if repo:
        return [str(repo)]
    return [loc.path for loc in b.locations if loc.state not in GONE and loc.path]


def show_path(path: bytes | str) -> str:
    """A path for a person to read (odd bytes as \\xNN)."""
    raw = os.fsencode(path) if isinstance(path, str) else path
    return raw.decode("utf-8", "backslashreplace")


def json_path(path: bytes) -> str:
    """A path for JSON: odd bytes as lone surrogates (os.fsencode gives the bytes back)."""
    return os.fsdecode(path)


class PlanView:
    """One plan's index seen through the catalogue: which indexed backups still exist. A
    backup's record is read when a version first names it (a plan of a thousand backups
    reads the few that a search shows)."""

    def __init__(self, cat: Catalogue, ix: Index, plan: Plan) -> None:
        self.cat, self.ix, self.plan = cat, ix, plan
        live = live_backup_ids(cat, plan.name)
        self.seqs: list[int] = []
        self.ids: list[int] = []
        for x in ix.backups():
            bid = backup_id_of(x.ref)
            if bid in live:
                self.seqs.append(x.seq)
                self.ids.append(bid)
        self.top = max(self.seqs, default=0)
        self._infos: dict[int, BackupInfo] = {}

    def versions(self, path_id: int) -> list[Version]:
        spans: list[tuple[int, int, int | None, int | None]] = []
        for first, last, size, mtime, _h in self.ix.versions_of(path_id):
            lo = bisect.bisect_left(self.seqs, first)
            hi = bisect.bisect_right(self.seqs, last if last is not None else self.top)
            if lo < hi:  # else every backup that held it is gone
                spans.append((lo, hi, size, mtime))
        self._read({self.ids[i] for lo, hi, _s, _m in spans for i in (lo, hi - 1)})
        info = self._infos
        return [Version(n, size, mtime, info[self.ids[lo]], info[self.ids[hi - 1]], hi - lo)
                for n, (lo, hi, size, mtime) in enumerate(spans, 1)]

    def _read(self, ids: set[int]) -> None:
        missing = sorted(ids - self._infos.keys())
        for i in range(0, len(missing), 500):
            for b in list_backups(self.cat, BackupFilter(ids=tuple(missing[i:i + 500]))):
                self._infos[b.id] = b


def plan_indexes(cat: Catalogue, plans: list[Plan]) -> Iterator[tuple[Plan, Index]]:
    """Each plan that has an index, with it open (closed when the caller moves on)."""
    for plan in plans:
        path = plan_index_path(cat, plan.id)
        if not path.exists():
            continue
        ix = open_index(path)
        try:
            yield plan, ix
        finally:
            ix.close()


@dataclass(frozen=True)
class Picked:
    plan: str
    path: str  # as the backup holds it (what `restore --path` takes)
    version: Version
    count: int  # how many versions the path has


def candidates(plan: Plan, path: str) -> list[bytes]:
    """How `path`, as it was on the source or as a backup holds it, may stand in the index:
    itself without a leading "/", and below each source of the plan (an archive names a
    source by its base name, borg keeps the whole path)."""
    out = [path.lstrip("/")]
    for src in plan.sources:
        s = src.rstrip("/")
        if path == s or path.startswith(s + "/"):
            rest = path[len(s):]
            out += [os.path.basename(s) + rest, s.lstrip("/") + rest]
    return list(dict.fromkeys(os.fsencode(p) for p in out))


def pick(cat: Catalogue, plans: list[Plan], path: str, *, version: str = "last",
         at: datetime | None = None) -> Picked:
    """The version of `path` to restore: number N (1 the oldest), "first", "last", or the one
    held at `at` (naive UTC: the newest version a backup made by then holds)."""
    found: list[tuple[Plan, bytes, list[Version]]] = []
    for plan, ix in plan_indexes(cat, plans):
        for c in candidates(plan, path):
            pid = ix.path_id(c)
            if pid is not None:
                vs = PlanView(cat, ix, plan).versions(pid)
                if vs:
                    found.append((plan, c, vs))
                    break
    if not found:
        raise UsageError(f"No backup holds {show_path(path)} (is the file index up to date? "
                         "`backupdesk reindex`).")
    if len(found) > 1:
        raise UsageError(f"Backups of several plans hold {show_path(path)}: "
                         f"{', '.join(p.name for p, _c, _v in found)}; choose one with --plan.")
    plan, c, vs = found[0]
    return Picked(plan.name, os.fsdecode(c), _choose(vs, path, version, at), len(vs))


def _choose(vs: list[Version], path: str, version: str, at: datetime | None) -> Version:
    if at is not None:
        held = [v for v in vs if v.first.created_at <= at]
        if not held:
            raise UsageError(f"No backup made by {iso(at)} holds {show_path(path)}; its first is "
                             f"backup {vs[0].first.id} of {iso(vs[0].first.created_at)}.")
        return held[-1]
    if version == "first":
        return vs[0]
    if version == "last":
        return vs[-1]
    if not version.isdigit() or not 1 <= int(version) <= len(vs):
        raise UsageError(f"--version is first, last or a number from 1 to {len(vs)} "
                         f"(the versions of {show_path(path)} kept), not {version!r}.")
    return vs[int(version) - 1]
