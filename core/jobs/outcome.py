"""What a backup job ends with, whichever engine ran it (core.jobs.run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobStatus
from core.errors import BackupDeskError
from core.jobs.lifecycle import end_status


def exit_code_of(status: str) -> int:
    """The CLI's exit status for a job that ended `status`: 0 success, 3 partial, else 1."""
    return {JobStatus.SUCCESS.value: 0, JobStatus.PARTIAL.value: 3}.get(status, 1)


@dataclass
class RunOutcome:
    """How a plan's run ended: its job, status and backup."""
    job_id: int
    status: str
    backup_id: int | None = None
    type: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_kind: str | None = None  # core.errors' kind of a failed run ("busy", ...)

    @classmethod
    def of_error(cls, job_id: int, e: BackupDeskError,
                 backup_id: int | None = None) -> RunOutcome:
        """The outcome of a run whose job `e` ended (as core.jobs.lifecycle recorded it)."""
        return cls(job_id, end_status(e).value, backup_id, error=str(e), error_kind=e.kind)

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.status)

    def to_json(self, cat: Catalogue) -> dict[str, Any]:
        # The History's queries and row types (~10 ms of imports): only `run --json` needs them.
        from core.catalogue.history import job_rows

        rows = job_rows(cat, [self.job_id])
        data = rows[0].to_json() if rows else {"id": self.job_id, "status": self.status}
        return {**data, "backup_id": self.backup_id, "type": self.type,
                "warnings": self.warnings}
