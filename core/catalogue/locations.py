"""Writes of the job layer to backups' copies: verify results, deletions; a plan's destination
folders. Plain SQL over the DB-API (core.catalogue.dbapi), valid in SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import to_json
from core.catalogue.enums import LocationState
from core.timeutil import iso


@dataclass(frozen=True)
class LocationCheck:
    """What one verify found for one copy (a backup at one destination)."""

    location_id: int
    state: str
    artifacts: dict[str, str]  # artifact name -> its state


def store_checks(cat: Catalogue, checks: Iterable[LocationCheck], at: datetime) -> None:
    """Record each copy's verdict, the time of the check and each artifact's state."""
    with cat.db.connect() as c:
        for ch in checks:
            result = {"checked_at": iso(at), "artifacts": ch.artifacts}
            c.execute("UPDATE backup_locations SET state = ?, verified_at = ?, verify_result = ?"
                      " WHERE id = ?", [ch.state, at, json.dumps(result), ch.location_id])


def mark_location_deleted(cat: Catalogue, location_id: int) -> None:
    """The copy's files are gone; the backup's record stays (other copies may remain)."""
    with cat.db.connect() as c:
        c.execute("UPDATE backup_locations SET state = ? WHERE id = ?",
                  [LocationState.DELETED.value, location_id])


def delete_backup_record(cat: Catalogue, backup_id: int) -> None:
    """Forget a backup and its copies; backups built on it lose their parent link (what the
    schema's ON DELETE rules say, written out: a DB-API connection may not enforce them)."""
    with cat.db.connect() as c:
        c.execute("DELETE FROM backup_locations WHERE backup_id = ?", [backup_id])
        c.execute("UPDATE backups SET parent_id = NULL WHERE parent_id = ?", [backup_id])
        c.execute("DELETE FROM backups WHERE id = ?", [backup_id])


def plan_roots(cat: Catalogue, plan_id: int) -> dict[int, tuple[Path, str | None]]:
    """The plan's destination folders by destination id, each with its marker id (None for a
    destination set up by a version without markers)."""
    with cat.db.connect() as c:
        rows = c.rows("SELECT id, location, options FROM destinations WHERE plan_id = ?",
                      [plan_id])
    out: dict[int, tuple[Path, str | None]] = {}
    for dest_id, location, options in rows:
        opts: dict[str, Any] = to_json(options) or {}
        marker = opts.get("marker")
        out[int(dest_id)] = (Path(location).expanduser(), str(marker) if marker else None)
    return out
