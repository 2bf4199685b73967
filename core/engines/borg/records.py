"""Borg archives in the catalogue: Backup rows (one location: the repository), outside
archives synthesized as external jobs, archives gone from the repository marked deleted."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.catalogue.db import Catalogue
from core.catalogue.jobs import record_external_job
from core.catalogue.models import JobKind, JobStatus, LocationState, Plan
from core.catalogue.schema import Backup, BackupLocation
from core.engines.borg import ops
from core.engines.borg.process import BorgEnv
from core.engines.borg.repo import RepoSettings, tagged_name
from core.fmt import count
from core.progress import CancelToken
from core.timeutil import utcnow


def external_ref(archive_id: str) -> str:
    return f"borg:{archive_id}"


MADE_BY = "backupdesk"


def record_archive(cat: Catalogue, plan: Plan, job_id: int | None, location: str,
                   st: ops.ArchiveStats, *, outside: bool = False) -> int:
    b = Backup(
        plan_id=plan.id, plan_name=plan.name, job_id=job_id, engine="borg", type="archive",
        name=st.name, created_at=st.start or utcnow(), size=st.compressed_size,
        original_size=st.original_size, deduplicated_size=st.deduplicated_size, files=st.files,
        external_id=st.id,
        details={"repository": location, "archive": st.name, **st.to_json(),
                 **({} if outside else {"made_by": MADE_BY})},
    )
    b.locations = [BackupLocation(destination=location, path=f"{location}::{st.name}",
                                  state=LocationState.UNVERIFIED.value,
                                  size=st.deduplicated_size)]
    with cat.session() as s:
        s.add(b)
    return b.id


def _made_by_app(b: Backup) -> bool:
    """Made by a job of this app, not found by a refresh (older records have no marker: their
    job then tells, an outside archive's job carries the archive's id as external_ref)."""
    if (b.details or {}).get("made_by") == MADE_BY:
        return True
    return b.job is not None and b.job.external_ref is None


def plan_archives(cat: Catalogue, plan_id: int, location: str) -> dict[str, str]:
    """The archives this plan made in the repository and still has: id -> name."""
    out: dict[str, str] = {}
    with cat.session() as s:
        rows = s.scalars(select(Backup).where(Backup.engine == "borg",
                                              Backup.plan_id == plan_id)
                         .options(selectinload(Backup.locations), selectinload(Backup.job)))
        for b in rows:
            if (b.details or {}).get("repository") != location or not b.external_id:
                continue
            if _made_by_app(b) and any(loc.state != LocationState.DELETED.value
                                       for loc in b.locations):
                out[b.external_id] = b.name
    return out


def renamed(cat: Catalogue, location: str, old_id: str, st: ops.ArchiveStats) -> None:
    """The archive recorded as `old_id` is now `st` (borg rename gives it a new id)."""
    with cat.session() as s:
        for b in s.scalars(select(Backup).where(Backup.external_id == old_id)
                           .options(selectinload(Backup.locations))):
            if (b.details or {}).get("repository") != location:
                continue
            b.name, b.external_id = st.name, st.id
            b.details = {**(b.details or {}), "archive": st.name, "id": st.id,
                         "made_by": MADE_BY}
            for loc in b.locations:
                loc.path = f"{location}::{st.name}"


def mark_gone(cat: Catalogue, location: str, archive_names: list[str] | None = None,
              keep_ids: set[str] | None = None) -> list[int]:
    """Mark the repository's backups deleted: those named, or those whose archive id is not in
    `keep_ids`. Returns their ids."""
    gone: list[int] = []
    with cat.session() as s:
        rows = s.scalars(select(Backup).where(Backup.engine == "borg")
                         .options(selectinload(Backup.locations)))
        for b in rows:
            if (b.details or {}).get("repository") != location:
                continue
            if archive_names is not None and b.name not in archive_names:
                continue
            if keep_ids is not None and b.external_id in keep_ids:
                continue
            live = [loc for loc in b.locations if loc.state != LocationState.DELETED.value]
            if not live:
                continue
            for loc in live:
                loc.state = LocationState.DELETED.value
            gone.append(b.id)
    return gone


def mark_checked(cat: Catalogue, location: str, ok: bool, archive: str | None = None) -> None:
    now = utcnow()
    with cat.session() as s:
        for b in s.scalars(select(Backup).where(Backup.engine == "borg")
                           .options(selectinload(Backup.locations))):
            if (b.details or {}).get("repository") != location:
                continue
            if archive is not None and b.name != archive:
                continue
            for loc in b.locations:
                if loc.state == LocationState.DELETED.value:
                    continue
                loc.state = LocationState.OK.value if ok else LocationState.CORRUPT.value
                loc.verified_at = now
                loc.verify_result = {"checked_at": now.isoformat() + "Z", "by": "borg check"}


@dataclass
class RefreshReport:
    archives: int = 0
    new_jobs: list[int] = field(default_factory=list)
    new_backups: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{count(self.archives, 'archive')} in the repository; "
                f"{len(self.new_backups)} made "
                f"outside Backup Desk recorded; {len(self.gone)} no longer there.")


def refresh(cat: Catalogue, plan: Plan, s: RepoSettings, env: BorgEnv,
            cancel: CancelToken | None = None) -> RefreshReport:
    """Record the repository's archives that the catalogue does not know (once each, as
    external jobs with their real times and sizes), and mark vanished ones deleted.
    The caller holds the repository's lock."""
    archives = ops.list_archives(s, env, cancel)
    report = RefreshReport(archives=len(archives))
    ids = {a.id for a in archives}
    with cat.session() as sess:
        known = set(sess.scalars(select(Backup.external_id)
                                 .where(Backup.external_id.in_(ids))))
    renames = _lost_renames(cat, plan, s.location, archives, ids)
    for a in archives:
        if a.id in known:
            continue
        st = ops.archive_info(s, env, a.name, cancel)
        if a.name in renames:  # a rename whose run stopped before recording it
            renamed(cat, s.location, renames[a.name], st)
            continue
        started = st.start or a.start or utcnow()
        job_id = record_external_job(
            cat, external_ref=external_ref(a.id), engine="borg", kind=JobKind.BACKUP.value,
            started_at=started, finished_at=st.end or started, plan_id=plan.id,
            plan_name=plan.name, status=JobStatus.SUCCESS.value, requested_by=st.username,
            bytes=st.original_size, files=st.files,
            log=f"Archive {st.name} was made outside Backup Desk on {st.hostname or 'a host'} "
                f"by {st.username or 'someone'}; found in {s.location}.\n",
            details={"repository": s.location, **st.to_json()},
        )
        if job_id is None:
            continue  # another process recorded it first
        report.new_jobs.append(job_id)
        report.new_backups.append(record_archive(cat, plan, job_id, s.location, st,
                                                 outside=True))
    report.gone = mark_gone(cat, s.location, keep_ids=ids)
    return report


def _lost_renames(cat: Catalogue, plan: Plan, location: str, archives: list[ops.ArchiveEntry],
                  ids: set[str]) -> dict[str, str]:
    """Tagged name -> recorded id, for the plan's archives whose recorded id is gone and whose
    tagged name is in the repository."""
    names = {a.name for a in archives}
    out: dict[str, str] = {}
    for old_id, old_name in plan_archives(cat, plan.id, location).items():
        new = tagged_name(old_name, plan.name, plan.id)
        if old_id not in ids and new != old_name and new in names:
            out[new] = old_id
    return out
