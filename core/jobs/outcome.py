"""What running a plan gives back: the job, its status, the backup it made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.history import job_rows
from core.catalogue.models import JobStatus


@dataclass
class RunOutcome:
    job_id: int
    status: str
    backup_id: int | None = None
    type: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    error_kind: str | None = None  # core.errors' kind of a failed run ("busy", ...)

    @property
    def exit_code(self) -> int:
        return {JobStatus.SUCCESS.value: 0, JobStatus.PARTIAL.value: 3}.get(self.status, 1)

    def to_json(self, cat: Catalogue) -> dict[str, Any]:
        rows = job_rows(cat, [self.job_id])
        data = rows[0].to_json() if rows else {"id": self.job_id, "status": self.status}
        return {**data, "backup_id": self.backup_id, "type": self.type,
                "warnings": self.warnings}
