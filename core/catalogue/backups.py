"""Backups and their locations (one per destination) in the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, in_chunks, placeholders, to_datetime, to_json
from core.catalogue.enums import LocationState
from core.catalogue.models import Backup, BackupLocation
from core.timeutil import utcnow

_BACKUP = ("SELECT id, plan_id, plan_name, job_id, engine, type, parent_id, name, created_at,"
           " size, original_size, deduplicated_size, files, sha256, external_id, details"
           " FROM backups")
_LOCATION = ("SELECT id, backup_id, destination_id, destination, path, state, size, verified_at,"
             " verify_result FROM backup_locations")


def _backup(r: Sequence[Any]) -> Backup:
    return Backup(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], to_datetime(r[8]) or utcnow(),
                  r[9], r[10], r[11], r[12], r[13], r[14], dict(to_json(r[15]) or {}))


def _location(r: Sequence[Any]) -> BackupLocation:
    return BackupLocation(r[0], r[1], r[2], r[3], r[4], r[5], r[6], to_datetime(r[7]),
                          dict(to_json(r[8]) or {}))


def _in(column: str, values: Sequence[Any]) -> str:
    return f"{column} IN ({placeholders(len(values))})"


def load_backups(cat: Catalogue, *, plans: Sequence[str] = (), types: Sequence[str] = (),
                 ids: Sequence[int] = ()) -> list[Backup]:
    """Backups matching every filter given, oldest first, each with its locations."""
    conds: list[str] = []
    params: list[Any] = []
    for column, values in (("plan_name", plans), ("type", types), ("id", ids)):
        if values:
            conds.append(_in(column, values))
            params.extend(values)
    where = " WHERE " + " AND ".join(conds) if conds else ""
    with cat.db.connect() as c:
        items = [_backup(r) for r in c.rows(f"{_BACKUP}{where} ORDER BY created_at, id",
                                            params)]
        _attach_locations(c, items)
    return items


def _attach_locations(c: Conn, items: list[Backup]) -> None:
    by_id = {b.id: b for b in items}
    for chunk in in_chunks(list(by_id)):
        for r in c.rows(f"{_LOCATION} WHERE {_in('backup_id', chunk)} ORDER BY id", chunk):
            by_id[r[1]].locations.append(_location(r))


def parent_links(cat: Catalogue) -> list[tuple[int, int | None]]:
    """(backup id, parent id) of every backup."""
    with cat.db.connect() as c:
        return [(int(r[0]), r[1]) for r in c.rows("SELECT id, parent_id FROM backups")]


def live_backup_ids(cat: Catalogue, plan_name: str) -> set[int]:
    """The plan's backups with a copy not deleted (those whose status is not "deleted")."""
    with cat.db.connect() as c:
        return {int(i) for i in c.column(
            "SELECT DISTINCT l.backup_id FROM backup_locations l JOIN backups b"
            " ON b.id = l.backup_id WHERE b.plan_name = ? AND l.state != ?",
            [plan_name, LocationState.DELETED.value])}


def recent_backup_ids(cat: Catalogue, plan_id: int, engine: str, limit: int) -> list[int]:
    """The plan's newest backups made by this engine, newest first."""
    with cat.db.connect() as c:
        return [int(i) for i in c.column(
            "SELECT id FROM backups WHERE plan_id = ? AND engine = ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?", [plan_id, engine, limit])]


def last_size(cat: Catalogue, plan_id: int, type_: str) -> int | None:
    """The size of the plan's newest backup of this type."""
    with cat.db.connect() as c:
        size = c.scalar("SELECT size FROM backups WHERE plan_id = ? AND type = ?"
                        " ORDER BY created_at DESC, id DESC LIMIT 1", [plan_id, type_])
    return int(size) if size is not None else None


def insert_backup(cat: Catalogue, b: Backup) -> int:
    """Store a new backup and its locations (ids are set on them)."""
    with cat.db.transaction() as c:
        b.id = c.insert(
            "INSERT INTO backups (plan_id, plan_name, job_id, engine, type, parent_id, name,"
            " created_at, size, original_size, deduplicated_size, files, sha256, external_id,"
            " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [b.plan_id, b.plan_name, b.job_id, b.engine, b.type, b.parent_id, b.name,
             b.created_at, b.size, b.original_size, b.deduplicated_size, b.files, b.sha256,
             b.external_id, b.details])
        for loc in b.locations:
            insert_location(c, b.id, loc)
    return b.id


def insert_location(c: Conn, backup_id: int, loc: BackupLocation) -> None:
    """Store one more copy of a backup (its id is set on `loc`)."""
    loc.backup_id = backup_id
    loc.id = c.insert(
        "INSERT INTO backup_locations (backup_id, destination_id, destination, path,"
        " state, size, verified_at, verify_result) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [backup_id, loc.destination_id, loc.destination, loc.path, loc.state, loc.size,
         loc.verified_at, loc.verify_result])


def filter_choices(cat: Catalogue) -> tuple[list[str], list[str], list[str]]:
    """What the Backups pane's filters offer: plans with backups, destinations with backups,
    and every plan (that can run)."""
    with cat.db.connect() as c:
        plans = sorted(p for p in c.column("SELECT DISTINCT plan_name FROM backups") if p)
        dests = sorted(d for d in c.column("SELECT DISTINCT destination FROM backup_locations")
                       if d)
        runnable = sorted(c.column("SELECT name FROM plans"))
    return plans, dests, runnable


def set_verified(cat: Catalogue, results: dict[int, tuple[str, dict[str, Any]]],
                 verified_at: datetime) -> None:
    """Store what a verify found: location id -> (state, verify result)."""
    with cat.db.transaction() as c:
        for loc_id, (state, result) in results.items():
            c.execute("UPDATE backup_locations SET state = ?, verified_at = ?, verify_result = ?"
                      " WHERE id = ?", [state, verified_at, result, loc_id])


def set_location_state(cat: Catalogue, location_id: int, state: str) -> None:
    with cat.db.connect() as c:
        c.execute("UPDATE backup_locations SET state = ? WHERE id = ?", [state, location_id])


def delete_backup(cat: Catalogue, backup_id: int) -> None:
    """Forget a backup and its locations (its incrementals keep their records, their parent
    link cleared)."""
    with cat.db.transaction() as c:
        c.execute("DELETE FROM backup_locations WHERE backup_id = ?", [backup_id])
        c.execute("UPDATE backups SET parent_id = NULL WHERE parent_id = ?", [backup_id])
        c.execute("DELETE FROM backups WHERE id = ?", [backup_id])
