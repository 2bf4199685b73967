"""The catalogue's tables as SQLAlchemy declarative classes: the schema that the alembic
migrations compare against (migrations/env.py) and tests read. Nothing else imports this module:
the application reads and writes through the plain SQL of the other core.catalogue modules, into
the dataclasses of core.catalogue.models.

Timestamps are naive UTC `datetime`s (both SQLite and PostgreSQL store them the same way);
`core.timeutil` converts at the edges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.catalogue.enums import JobKind, JobStatus, JobTrigger, LocationState
from core.timeutil import utcnow

__all__ = ["Backup", "BackupLocation", "Base", "Destination", "Job", "JobKind", "JobLog",
           "JobStatus", "JobTrigger", "LocationState", "Plan", "RemoteNode", "Schedule"]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    engine: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    excludes: Mapped[list[Any]] = mapped_column(default=list)
    # Engine-specific settings (compression, databases, repository, keep rules, ...). Never secrets.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The host that runs it (its scheduler; `run` elsewhere needs --here); NULL: any host.
    host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    destinations: Mapped[list[Destination]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Destination.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Schedule.id"
    )


class Destination(Base):
    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="local")
    location: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)

    plan: Mapped[Plan] = relationship(back_populates="destinations")


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="backup")  # backup, verify, restore_test
    expression: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    missed_policy: Mapped[str] = mapped_column(String(16), default="catch_up")  # or "skip"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    plan: Mapped[Plan] = relationship(back_populates="schedules")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    # Denormalised so that history keeps a deleted plan's name and filters without a join.
    plan_name: Mapped[str] = mapped_column(String(200), default="")
    engine: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default=JobKind.BACKUP.value)
    trigger: Mapped[str] = mapped_column(String(16), default=JobTrigger.MANUAL.value)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The process's start time (Linux clock ticks after boot): a reused PID is another process.
    pid_start: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # What a running job is doing (scanning, writing…), from its heartbeat: any process's
    # window shows it.
    phase: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # When the heartbeat last saw the progress (bytes, files, phase) change: the watchdog's
    # "no progress for N minutes" (migration 0004).
    progress_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    files: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set while the job holds its plan or repository; unique, so a second start fails in the
    # database whichever process (GUI, CLI, scheduler, another workstation) tries it.
    lock_key: Mapped[str | None] = mapped_column(String(300), nullable=True, unique=True)
    # Identity of something made outside the app (a borg archive id), so it is recorded once.
    external_ref: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    log: Mapped[JobLog | None] = relationship(
        back_populates="job", cascade="all, delete-orphan", uselist=False
    )
    backups: Mapped[list[Backup]] = relationship(back_populates="job")

    __table_args__ = (
        Index("ix_jobs_started", "started_at", "id"),
        Index("ix_jobs_plan_started", "plan_name", "started_at", "id"),
        Index("ix_jobs_status_started", "status", "started_at", "id"),
        Index("ix_jobs_engine_started", "engine", "started_at", "id"),
        Index("ix_jobs_trigger_started", "trigger", "started_at", "id"),
        Index("ix_jobs_kind_started", "kind", "started_at", "id"),
        Index("ix_jobs_requested_by", "requested_by", "id"),
        Index("ix_jobs_host", "host", "id"),
        Index("ix_jobs_duration", "duration_ms", "id"),
        Index("ix_jobs_bytes", "bytes", "id"),
        Index("ix_jobs_error", "error", "id"),
        Index("ix_jobs_plan_finished", "plan_id", "kind", "finished_at"),
        Index("ix_jobs_plan_status", "plan_id", "kind", "status", "finished_at"),
        Index("ix_jobs_plan_kind_started", "plan_id", "kind", "started_at", "id"),
    )


class JobLog(Base):
    """A job's full log, kept apart so that history pages never read it."""

    __tablename__ = "job_logs"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")

    job: Mapped[Job] = relationship(back_populates="log")


class Backup(Base):
    __tablename__ = "backups"
    # Ids are never reused after a delete (logs, banners and scripts name backups by id).
    # PostgreSQL's sequence never reuses; SQLite needs AUTOINCREMENT (migration 0003).
    __table_args__ = (Index("ix_backups_plan_created", "plan_id", "created_at"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True, index=True
    )
    plan_name: Mapped[str] = mapped_column(String(200), default="")
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    engine: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16), default="full")  # full, incremental, archive
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("backups.id", ondelete="SET NULL"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    original_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deduplicated_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    files: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    # Artifacts (name, size, sha256) and engine data (borg repository, archive name, ...).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    job: Mapped[Job | None] = relationship(back_populates="backups")
    parent: Mapped[Backup | None] = relationship(remote_side="Backup.id")
    locations: Mapped[list[BackupLocation]] = relationship(
        back_populates="backup", cascade="all, delete-orphan", order_by="BackupLocation.id"
    )


class BackupLocation(Base):
    """One backup at one destination."""

    __tablename__ = "backup_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backup_id: Mapped[int] = mapped_column(
        ForeignKey("backups.id", ondelete="CASCADE"), index=True
    )
    destination_id: Mapped[int | None] = mapped_column(
        ForeignKey("destinations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    destination: Mapped[str] = mapped_column(Text, default="")  # location as it was
    path: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=LocationState.UNVERIFIED.value)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    verify_result: Mapped[dict[str, Any]] = mapped_column(default=dict)

    backup: Mapped[Backup] = relationship(back_populates="locations")


class RemoteNode(Base):
    __tablename__ = "remote_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    mysql_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    rsync_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    token_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
