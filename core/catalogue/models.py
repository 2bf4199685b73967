"""What the catalogue's rows read into: plain dataclasses, one per table (no SQLAlchemy).

The functions of core.catalogue load them; the attribute names are the column names. A plan
comes with its destinations and schedules, a backup with its locations. The tables themselves
are declared in core.catalogue.schema (for the migrations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.catalogue.enums import JobKind, JobStatus, JobTrigger, LocationState
from core.timeutil import utcnow

__all__ = ["Backup", "BackupLocation", "Destination", "Job", "JobKind", "JobLog", "JobStatus",
           "JobTrigger", "LocationState", "Plan", "RemoteNode", "Schedule"]


@dataclass(slots=True)
class Destination:
    """A plan's place to store backups: a folder or a remote."""
    id: int = 0
    plan_id: int = 0
    kind: str = "local"
    location: str = ""
    enabled: bool = True
    position: int = 0
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Schedule:
    """When a plan's backups, verifies or restore tests run."""
    id: int = 0
    plan_id: int = 0
    kind: str = "backup"  # backup, verify, restore_test
    expression: str = ""
    timezone: str | None = None
    missed_policy: str = "catch_up"  # or "skip"
    enabled: bool = True
    last_run_at: datetime | None = None
    next_due_at: datetime | None = None


@dataclass(slots=True)
class Plan:
    """A backup plan: what, where, with which engine and options."""
    id: int = 0
    name: str = ""
    engine: str = ""
    enabled: bool = True
    sources: list[Any] = field(default_factory=list)
    excludes: list[Any] = field(default_factory=list)
    # Engine-specific settings (compression, databases, repository, keep rules, ...). Never secrets.
    options: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    destinations: list[Destination] = field(default_factory=list)  # by position
    schedules: list[Schedule] = field(default_factory=list)  # by id
    host: str | None = None  # the host that runs it; None: any host


@dataclass(slots=True)
class Job:
    """One run of a plan's operation (backup, verify, prune...) and how it ended."""
    id: int = 0
    plan_id: int | None = None
    plan_name: str = ""  # kept when the plan is removed
    engine: str = ""
    kind: str = JobKind.BACKUP.value
    trigger: str = JobTrigger.MANUAL.value
    status: str = JobStatus.QUEUED.value
    requested_by: str = ""
    host: str = ""
    pid: int | None = None
    pid_start: int | None = None  # the process's start time (clock ticks after boot)
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    phase: str | None = None
    duration_ms: int | None = None
    bytes: int | None = None
    files: int | None = None
    error: str | None = None
    lock_key: str | None = None
    external_ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class JobLog:
    """The log of a job, written in chunks while it runs."""
    job_id: int = 0
    text: str = ""


@dataclass(slots=True)
class BackupLocation:
    """One backup at one destination."""

    id: int = 0
    backup_id: int = 0
    destination_id: int | None = None
    destination: str = ""  # location as it was
    path: str = ""
    state: str = LocationState.UNVERIFIED.value
    size: int | None = None
    verified_at: datetime | None = None
    verify_result: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Backup:
    """A backup a job made: its type, sizes and manifest."""
    id: int = 0
    plan_id: int | None = None
    plan_name: str = ""
    job_id: int | None = None
    engine: str = ""
    type: str = "full"  # full, incremental, archive
    parent_id: int | None = None
    name: str = ""
    created_at: datetime = field(default_factory=utcnow)
    size: int | None = None
    original_size: int | None = None
    deduplicated_size: int | None = None
    files: int | None = None
    sha256: str | None = None
    external_id: str | None = None
    # Artifacts (name, size, sha256) and engine data (borg repository, archive name, ...).
    details: dict[str, Any] = field(default_factory=dict)
    locations: list[BackupLocation] = field(default_factory=list)  # by id


@dataclass(slots=True)
class RemoteNode:
    """A device of the grid and how it is reached (database, rsync, agent)."""
    id: int = 0
    name: str = ""
    mysql_url: str | None = None
    rsync_url: str | None = None
    agent_url: str | None = None
    token_file: str | None = None
    poll_interval_s: int = 60
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
