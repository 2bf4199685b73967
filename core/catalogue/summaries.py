"""Per plan: its latest backup job, count of successful backups and the size of its backups
(what Backup Desk's own grid agent reports)."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.jobs import JOB_COLUMNS, job_from_row
from core.catalogue.last_backup import jobs_by_id
from core.catalogue.models import Job, Plan
from core.catalogue.plans import all_plans


@dataclass(frozen=True, slots=True)
class PlanSummary:
    plan: Plan
    last_job: Job | None  # its latest backup job, by start
    successes: int  # successful backup jobs
    bytes: int  # sum of its backups' sizes
    files: int  # sum of its backups' file counts


def plan_summaries(cat: Catalogue) -> list[PlanSummary]:
    """Every plan, by name: one query of per-plan index seeks (the latest backup job by
    start through ix_jobs_plan_kind_started), then the chosen jobs by id."""
    backup = JobKind.BACKUP.value
    cols = ", ".join(f'"{c}"' for c in JOB_COLUMNS[1:])
    plans = all_plans(cat)
    with cat.db.connect() as c:
        facts = {r[0]: r[1:] for r in c.rows(
            "SELECT p.id,"
            " (SELECT j.id FROM jobs j WHERE j.plan_id = p.id AND j.kind = ?"
            "  ORDER BY j.started_at DESC, j.id DESC LIMIT 1),"
            " (SELECT count(*) FROM jobs j WHERE j.plan_id = p.id AND j.kind = ?"
            "  AND j.status = ?),"
            " (SELECT coalesce(sum(b.size), 0) FROM backups b WHERE b.plan_id = p.id),"
            " (SELECT coalesce(sum(b.files), 0) FROM backups b WHERE b.plan_id = p.id)"
            " FROM plans p", [backup, backup, JobStatus.SUCCESS.value])}
        jobs = jobs_by_id(c, cols, (f[0] for f in facts.values()))
    out = []
    for plan in plans:
        last, n, size, files = facts.get(plan.id, (None, 0, 0, 0))
        row = jobs.get(last) if last is not None else None
        out.append(PlanSummary(plan, job_from_row((last, *row)) if row else None, int(n or 0),
                               int(size or 0), int(files or 0)))
    return out
