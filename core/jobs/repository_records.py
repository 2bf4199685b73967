"""What the job layer records of a repository engine's archives: the archive a job made, the
archives a refresh finds (made outside Backup Desk, as external jobs with their real times
and sizes), renames, and archives gone from the repository."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core.catalogue import archives
from core.catalogue.archives import ArchiveRecord
from core.catalogue.db import Catalogue
from core.catalogue.jobs import record_external_job
from core.catalogue.models import JobKind, JobStatus, Plan
from core.engines.api import ArchiveEntry, ArchiveStats, Repository
from core.findex.indexing import index_quietly, remove_gone, repository_files
from core.fmt import count
from core.progress import CancelToken
from core.timeutil import utcnow

log = logging.getLogger(__name__)


def external_ref(engine: str, archive_id: str) -> str:
    return f"{engine}:{archive_id}"


def record_archive(cat: Catalogue, plan: Plan, job_id: int | None, location: str,
                   st: ArchiveStats, *, outside: bool = False) -> int:
    rec = ArchiveRecord(st.id, st.name, st.start or utcnow(), st.compressed_size,
                        st.original_size, st.deduplicated_size, st.files, st.to_json())
    return archives.record_archive(cat, engine=plan.engine, plan_id=plan.id,
                                   plan_name=plan.name, job_id=job_id, location=location,
                                   archive=rec, made_by_app=not outside)


def plan_archives(cat: Catalogue, plan: Plan, location: str) -> dict[str, str]:
    """The archives this plan made in the repository and still has: id -> name."""
    return archives.plan_archives(cat, plan.engine, plan.id, location)


def renamed(cat: Catalogue, location: str, old_id: str, st: ArchiveStats) -> None:
    archives.renamed(cat, location, old_id, st.id, st.name)


@dataclass
class RefreshReport:
    archives: int = 0
    new_jobs: list[int] = field(default_factory=list)
    new_backups: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # the job's (an index failure)

    def summary(self) -> str:
        return (f"{count(self.archives, 'archive')} in the repository; "
                f"{len(self.new_backups)} made "
                f"outside Backup Desk recorded; {len(self.gone)} no longer there.")


def refresh(cat: Catalogue, plan: Plan, repo: Repository,
            cancel: CancelToken) -> RefreshReport:
    """Record the repository's archives that the catalogue does not know (once each), and
    mark vanished ones deleted. The caller holds the repository's lock."""
    found = repo.list_archives(cancel)
    report = RefreshReport(archives=len(found))
    ids = {a.id for a in found}
    known = archives.known_ids(cat, sorted(ids))
    renames = _lost_renames(cat, plan, repo, found, ids)
    for a in found:
        if a.id in known:
            continue
        st = repo.archive_info(a.name, cancel)
        if a.name in renames:  # a rename whose run stopped before recording it
            renamed(cat, repo.location, renames[a.name], st)
            continue
        started = st.start or a.start or utcnow()
        job_id = record_external_job(
            cat, external_ref=external_ref(plan.engine, a.id), engine=plan.engine,
            kind=JobKind.BACKUP.value, started_at=started, finished_at=st.end or started,
            plan_id=plan.id, plan_name=plan.name, status=JobStatus.SUCCESS.value,
            requested_by=st.username, bytes=st.original_size, files=st.files,
            log=f"Archive {st.name} was made outside Backup Desk on {st.hostname or 'a host'} "
                f"by {st.username or 'someone'}; found in {repo.location}.\n",
            details={"repository": repo.location, **st.to_json()},
        )
        if job_id is None:
            continue  # another process recorded it first
        report.new_jobs.append(job_id)
        report.new_backups.append(record_archive(cat, plan, job_id, repo.location, st,
                                                 outside=True))
    report.gone = archives.mark_gone(cat, plan.engine, repo.location, keep_ids=ids)
    remove_gone(cat, report.gone)
    # Indexed once all are recorded (and the vanished marked): one older than the index's
    # newest rebuilds it once, with every archive there, and the newer ones then follow it.
    for bid in sorted(report.new_backups):
        report.warnings += index_quietly(cat, bid, repository_files(repo, cancel),
                                         log.info).warnings
    return report


def _lost_renames(cat: Catalogue, plan: Plan, repo: Repository, found: list[ArchiveEntry],
                  ids: set[str]) -> dict[str, str]:
    """Renamed name -> recorded id, for the plan's archives whose recorded id is gone and whose
    name under the plan's naming is in the repository."""
    names = {a.name for a in found}
    out: dict[str, str] = {}
    for old_id, old_name in plan_archives(cat, plan, repo.location).items():
        new = repo.plan_name(old_name)
        if old_id not in ids and new != old_name and new in names:
            out[new] = old_id
    return out
