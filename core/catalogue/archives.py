"""Archives of repository engines in the catalogue: one Backup row each with one location (the
repository), renamed, marked checked, marked deleted when they leave the repository.

Plain SQL over the DB-API (core.catalogue.dbapi), valid in SQLite and PostgreSQL; plain values
in, plain values out. A backup's repository is in its details ("repository").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.catalogue.backups import insert_backup
from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, in_chunks, placeholders, to_json
from core.catalogue.enums import LocationState
from core.catalogue.models import Backup, BackupLocation
from core.timeutil import utcnow

# In the details of a backup that a job of this app made (a refresh's finds have none).
MADE_BY = "backupdesk"
DELETED = LocationState.DELETED.value


@dataclass(frozen=True)
class ArchiveRecord:
    """What the catalogue keeps of an archive."""

    id: str  # the engine's archive id
    name: str
    created_at: datetime
    size: int  # compressed
    original_size: int
    deduplicated_size: int
    files: int
    details: dict[str, Any]  # the engine's description of the archive


def _repo_backups(c: Conn, engine: str, location: str, *, plan_id: int | None = None
                  ) -> list[tuple[int, str, str | None, dict[str, Any], int | None]]:
    """(id, name, external_id, details, job_id) of the engine's backups in `location`."""
    sql = "SELECT id, name, external_id, details, job_id FROM backups WHERE engine = ?"
    params: list[Any] = [engine]
    if plan_id is not None:
        sql += " AND plan_id = ?"
        params.append(plan_id)
    out = []
    for bid, name, ext, details, job_id in c.rows(sql, params):
        d = to_json(details) or {}
        if d.get("repository") == location:
            out.append((bid, name, ext, d, job_id))
    return out


def record_archive(cat: Catalogue, *, engine: str, plan_id: int | None, plan_name: str,
                   job_id: int | None, location: str, archive: ArchiveRecord,
                   made_by_app: bool) -> int:
    """A new backup for the archive; its id."""
    details = {"repository": location, "archive": archive.name, **archive.details,
               **({"made_by": MADE_BY} if made_by_app else {})}
    return insert_backup(cat, Backup(
        plan_id=plan_id, plan_name=plan_name, job_id=job_id, engine=engine, type="archive",
        name=archive.name, created_at=archive.created_at, size=archive.size,
        original_size=archive.original_size, deduplicated_size=archive.deduplicated_size,
        files=archive.files, external_id=archive.id, details=details,
        locations=[BackupLocation(destination=location, path=f"{location}::{archive.name}",
                                  state=LocationState.UNVERIFIED.value,
                                  size=archive.deduplicated_size)]))


def _matching(c: Conn, sql: str, params: list[Any], values: Sequence[Any]) -> set[Any]:
    """The first column of `sql` + ` (values...)`, asked in chunks of the IN list."""
    found: set[Any] = set()
    for part in in_chunks(values):
        found.update(c.column(f"{sql} ({placeholders(len(part))})", [*params, *part]))
    return found


def known_ids(cat: Catalogue, archive_ids: Sequence[str]) -> set[str]:
    """Those of `archive_ids` that a backup records."""
    with cat.db.connect() as c:
        return _matching(c, "SELECT external_id FROM backups WHERE external_id IN", [],
                         archive_ids)


def plan_archives(cat: Catalogue, engine: str, plan_id: int, location: str) -> dict[str, str]:
    """The archives this plan made in the repository and still has: id -> name. Made by a
    job of this app (older records have no marker: their job then tells, as an outside
    archive's job carries an external_ref), not by a refresh's find."""
    out: dict[str, str] = {}
    with cat.db.connect() as c:
        rows = _repo_backups(c, engine, location, plan_id=plan_id)
        live = _matching(c, "SELECT DISTINCT backup_id FROM backup_locations WHERE state <> ?"
                         " AND backup_id IN", [DELETED], [r[0] for r in rows])
        ours = _matching(c, "SELECT id FROM jobs WHERE external_ref IS NULL AND id IN", [],
                         [r[4] for r in rows if r[4] is not None])
    for bid, name, ext, details, job_id in rows:
        if not ext or bid not in live:
            continue
        if details.get("made_by") == MADE_BY or job_id in ours:
            out[ext] = name
    return out


def renamed(cat: Catalogue, location: str, old_id: str, new_id: str, new_name: str) -> None:
    """The archive recorded as `old_id` is now `new_name`, with the id `new_id`."""
    with cat.db.transaction() as c:
        for bid, details in c.rows("SELECT id, details FROM backups WHERE external_id = ?",
                                   [old_id]):
            d = to_json(details) or {}
            if d.get("repository") != location:
                continue
            d.update(archive=new_name, id=new_id, made_by=MADE_BY)
            c.execute("UPDATE backups SET name = ?, external_id = ?, details = ? WHERE id = ?",
                      [new_name, new_id, d, bid])
            c.execute("UPDATE backup_locations SET path = ? WHERE backup_id = ?",
                      [f"{location}::{new_name}", bid])


def mark_gone(cat: Catalogue, engine: str, location: str, *,
              archive_names: Sequence[str] | None = None,
              keep_ids: set[str] | None = None) -> list[int]:
    """Mark the repository's backups deleted: those named, or those whose archive id is not in
    `keep_ids`. Returns the ids of those that were not already."""
    gone: list[int] = []
    with cat.db.transaction() as c:
        for bid, name, ext, _, _ in _repo_backups(c, engine, location):
            if archive_names is not None and name not in archive_names:
                continue
            if keep_ids is not None and ext in keep_ids:
                continue
            if c.execute("UPDATE backup_locations SET state = ? WHERE backup_id = ?"
                         " AND state <> ?", [DELETED, bid, DELETED]):
                gone.append(bid)
    return gone


def mark_checked(cat: Catalogue, engine: str, location: str, ok: bool, *, by: str) -> None:
    """A check of the whole repository: its live backups are ok, or corrupt."""
    now = utcnow()
    result = {"checked_at": now.isoformat() + "Z", "by": by}
    state = LocationState.OK.value if ok else LocationState.CORRUPT.value
    with cat.db.transaction() as c:
        for bid, *_ in _repo_backups(c, engine, location):
            c.execute("UPDATE backup_locations SET state = ?, verified_at = ?, verify_result = ?"
                      " WHERE backup_id = ? AND state <> ?", [state, now, result, bid, DELETED])
