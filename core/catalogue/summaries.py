"""Per plan: its latest backup job, count of successful backups and the size of its backups
(what Backup Desk's own grid agent reports)."""

from __future__ import annotations

from dataclasses import dataclass

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobKind, JobStatus
from core.catalogue.jobs import JOB_COLUMNS, job_from_row
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
    """Every plan, by name."""
    backup = JobKind.BACKUP.value
    cols = ", ".join(f'"{c}"' for c in JOB_COLUMNS)
    out = []
    plans = all_plans(cat)
    with cat.db.connect() as c:
        for plan in plans:
            last = c.first(f"SELECT {cols} FROM jobs WHERE plan_id = ? AND kind = ?"
                           " ORDER BY started_at DESC, id DESC LIMIT 1", [plan.id, backup])
            n = c.scalar("SELECT count(*) FROM jobs WHERE plan_id = ? AND kind = ?"
                         " AND status = ?", [plan.id, backup, JobStatus.SUCCESS.value])
            sums = c.first("SELECT coalesce(sum(size), 0), coalesce(sum(files), 0) FROM backups"
                           " WHERE plan_id = ?", [plan.id]) or (0, 0)
            out.append(PlanSummary(plan, job_from_row(last) if last else None, int(n or 0),
                                   int(sums[0] or 0), int(sums[1] or 0)))
    return out
