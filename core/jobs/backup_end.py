"""What an archive backup job does once its engine has written (core.jobs.backup): verify the
copies, update the file index, end the job with its status, then the plan's keep rules and the
catalogue's copy beside the backups.

A full backup's job imports it on a thread of its own while the engine writes (core.beside),
where the index update also reads what it will compare with; an incremental's, after its
engine (that engine compares in Python: a thread would only wait for the interpreter's lock).
None of it precedes the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core import catalogue_backup
from core.backups import get_backup
from core.catalogue.db import Catalogue
from core.catalogue.enums import JobStatus, LocationState
from core.config import AppPaths
from core.engines.api import RunResult
from core.findex.indexing import Ahead, Indexed, files_of_backup, index_quietly
from core.fmt import count
from core.jobs.lifecycle import Job
from core.jobs.outcome import RunOutcome
from core.jobs.prune import after_backup
from core.jobs.verify import store_report
from core.remote.location import Remote
from core.verify import verify_locations
from core.watch.warnings import normalised

if TYPE_CHECKING:
    from core.catalogue.models import Plan


class End:
    """The end of one backup job of plan `plan`; `full`: the index's update for a full backup
    compares every file, and what it compares with is read now, beside the engine."""

    def __init__(self, cat: Catalogue, plan: Plan, full: bool) -> None:
        self.cat, self.plan = cat, plan
        self.ahead = Ahead(cat, plan.id) if full else None

    def verify(self, j: Job, backup_id: int, remotes: Callable[[Any, str], Remote]) -> None:
        b = get_backup(self.cat, backup_id)
        targets = [(b, loc) for loc in b.locations if loc.state != LocationState.FAILED.value]
        report = verify_locations(targets, progress=j.progress, cancel=j.cancel, remotes=remotes)
        store_report(self.cat, report)
        for r in report.locations:
            j.log(f"Verified {r.path}: {r.state}.")

    def index(self, j: Job, backup_id: int, result: RunResult) -> Indexed:
        return index_quietly(self.cat, backup_id,
                             files_of_backup(self.cat, written=(backup_id, result)), j.log,
                             self.ahead)

    def finish(self, j: Job, backup_id: int, result: RunResult, dests: list[Any],
               indexed: Indexed) -> RunOutcome:
        """The job's end (status, counts, details) from what its copies' verify said."""
        b = get_backup(self.cat, backup_id)
        good = [loc for loc in b.locations
                if loc.state in (LocationState.OK.value, LocationState.UNVERIFIED.value)]
        errors = [f"{loc.destination}: {loc.verify_result.get('error') or loc.state}"
                  for loc in b.locations if loc not in good]
        if not good:
            status = JobStatus.FAILED
        elif len(good) < len(dests) or result.warnings:
            status = JobStatus.PARTIAL
        else:
            status = JobStatus.SUCCESS
        problems = errors + result.warnings
        error = None
        if status != JobStatus.SUCCESS:
            error = (f"{count(len(problems), 'problem')}: " + "; ".join(problems[:3])
                     + (" ..." if len(problems) > 3 else ""))
        end = j.end
        end.status, end.error, end.bytes, end.files = status, error, result.size, result.files
        end.details = {"backup_id": backup_id, "type": result.type,
                       "warnings": normalised(result.warnings[:100]) + indexed.warnings}
        if indexed.changes is not None:
            end.details["changes"] = indexed.changes
        return RunOutcome(j.id, status.value, backup_id, result.type, error, result.warnings)

    def after(self, paths: AppPaths, outcome: RunOutcome, trigger: str) -> None:
        """After the job, when it made a backup: the keep rules (a job of its own), then the
        catalogue beside the backups it describes."""
        if outcome.status in (JobStatus.SUCCESS.value, JobStatus.PARTIAL.value):
            after_backup(self.cat, paths, self.plan.name, trigger=trigger)
            catalogue_backup.after_run(self.cat, self.plan, outcome.backup_id)
