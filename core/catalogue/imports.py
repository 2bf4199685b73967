"""What `backupdesk import` asks the catalogue: a backup already known, a new copy of it."""

from __future__ import annotations

from core.catalogue.backups import insert_location, load_backups
from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, BackupLocation


def known_backup(cat: Catalogue, name: str, sha256: str) -> Backup | None:
    """The backup of this name whose manifest has this SHA-256 (the same backup), if any."""
    with cat.db.connect() as c:
        found = c.scalar("SELECT id FROM backups WHERE name = ? AND sha256 = ?"
                         " ORDER BY id LIMIT 1", [name, sha256])
    if found is None:
        return None
    return load_backups(cat, ids=[int(found)])[0]


def parent_id(cat: Catalogue, plan_id: int, name: str) -> int | None:
    """The plan's backup of this name (an incremental's parent)."""
    with cat.db.connect() as c:
        found = c.scalar("SELECT id FROM backups WHERE plan_id = ? AND name = ?"
                         " ORDER BY id LIMIT 1", [plan_id, name])
    return None if found is None else int(found)


def add_location(cat: Catalogue, backup_id: int, loc: BackupLocation) -> None:
    with cat.db.transaction() as c:
        insert_location(c, backup_id, loc)
