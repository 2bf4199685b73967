"""What the catalogue knows about a plan's destination folders: the backup folders it
recorded, the jobs that made folders, the marker id written when a destination was set up."""

from __future__ import annotations

from collections.abc import Iterable

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import placeholders, to_json
from core.catalogue.enums import JobStatus


def recorded_paths(cat: Catalogue, plan_id: int) -> set[str]:
    """Every path a backup of the plan was recorded at, in any state."""
    with cat.db.connect() as c:
        return set(c.column("SELECT l.path FROM backup_locations l"
                            " JOIN backups b ON b.id = l.backup_id WHERE b.plan_id = ?",
                            [plan_id]))


def interrupted_jobs(cat: Catalogue, plan_id: int, ids: Iterable[int]) -> set[int]:
    """Those of `ids` that are the plan's jobs and were interrupted (their process was killed
    before it could record or remove what it wrote). A job that ended in any other way
    recorded its backup or removed it; a folder of it that is no longer recorded was kept on
    purpose ("record only" delete)."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    with cat.db.connect() as c:
        return set(c.column(f"SELECT id FROM jobs WHERE id IN ({placeholders(len(wanted))})"
                            " AND plan_id = ? AND status = ?",
                            [*wanted, plan_id, JobStatus.INTERRUPTED.value]))


def set_marker(cat: Catalogue, destination_id: int, marker: str) -> None:
    with cat.db.transaction() as c:
        opts = c.first("SELECT options FROM destinations WHERE id = ?", [destination_id])
        if opts is not None:
            c.execute("UPDATE destinations SET options = ? WHERE id = ?",
                      [{**(to_json(opts[0]) or {}), "marker": marker}, destination_id])
