"""What the catalogue knows about a plan's destination folders: the backup folders it
recorded, the jobs that made folders, the marker id written when a destination was set up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, BackupLocation, Destination, Job, JobStatus


def recorded_paths(cat: Catalogue, plan_id: int) -> set[str]:
    """Every path a backup of the plan was recorded at, in any state."""
    with cat.session() as s:
        return set(s.scalars(select(BackupLocation.path).join(Backup)
                             .where(Backup.plan_id == plan_id)))


def interrupted_jobs(cat: Catalogue, plan_id: int, ids: Iterable[int]) -> set[int]:
    """Those of `ids` that are the plan's jobs and were interrupted (their process was killed
    before it could record or remove what it wrote). A job that ended in any other way
    recorded its backup or removed it; a folder of it that is no longer recorded was kept on
    purpose ("record only" delete)."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    with cat.session() as s:
        return set(s.scalars(select(Job.id).where(
            Job.id.in_(wanted), Job.plan_id == plan_id,
            Job.status == JobStatus.INTERRUPTED.value)))


def set_marker(cat: Catalogue, destination_id: int, marker: str) -> None:
    with cat.session() as s:
        d = s.get(Destination, destination_id)
        if d is not None:
            d.options = {**(d.options or {}), "marker": marker}
