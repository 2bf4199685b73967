"""Job and location vocabularies (no SQLAlchemy import: the CLI parser uses them)."""

from __future__ import annotations

import enum


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"  # a scheduled run that did not start: its plan was busy

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobTrigger(enum.StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    EXTERNAL = "external"
    CLI = "cli"
    APP = "app"  # the app's own housekeeping (the refresh of borg repositories at start-up)


class JobKind(enum.StrEnum):
    BACKUP = "backup"
    PRUNE = "prune"
    COMPACT = "compact"
    VERIFY = "verify"
    CHECK = "check"
    RESTORE = "restore"
    RESTORE_TEST = "restore_test"
    DELETE = "delete"
    INIT = "init"
    REFRESH = "refresh"


class LocationState(enum.StrEnum):
    UNVERIFIED = "unverified"
    OK = "ok"
    MISSING = "missing"
    SIZE_MISMATCH = "size_mismatch"
    CORRUPT = "corrupt"
    FAILED = "failed"  # the copy to this destination failed
    DELETED = "deleted"


# A backup's overall state, from its locations (see core.backups.BackupInfo.status).
BACKUP_STATUSES = ("ok", "unverified", "damaged", "incomplete", "deleted")
