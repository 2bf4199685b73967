"""What history queries return and take: plain data, no SQLAlchemy (the GUI imports these
before the catalogue is open)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.timeutil import iso

SORT_KEYS = ("plan", "engine", "kind", "trigger", "status", "started", "duration", "size",
             "requested_by", "error", "id")


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One job as the History lists it."""
    id: int
    plan: str
    engine: str
    kind: str
    trigger: str
    status: str
    requested_by: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    bytes: int | None
    files: int | None
    error: str | None
    plan_id: int | None
    heartbeat_at: datetime | None
    host: str = ""  # the host that ran it (a shared catalogue's workstations)
    warnings: tuple[str, ...] = ()  # the texts of details["warnings"] (anomalies...)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["started_at"] = iso(self.started_at)
        d["finished_at"] = iso(self.finished_at)
        d["heartbeat_at"] = iso(self.heartbeat_at)
        d["warnings"] = list(self.warnings)
        return d


@dataclass(frozen=True)
class HistoryFilter:
    """Which jobs the History lists (empty: any)."""
    plans: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive
    text: str = ""


@dataclass(frozen=True)
class HistorySort:
    """The History's sort order."""
    column: str = "started"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.column not in SORT_KEYS:
            raise ValueError(f"unknown sort column {self.column!r}")


@dataclass(frozen=True)
class JobDetail:
    """A job's row with its log and details."""
    row: HistoryRow
    log: str
    host: str
    details: dict[str, Any]
    backups: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Stats:
    """Totals of the jobs a History filter lists."""
    jobs: int
    succeeded: int
    failed: int
    bytes: int

    @property
    def success_rate(self) -> float | None:
        done = self.succeeded + self.failed
        return self.succeeded / done if done else None


@dataclass(frozen=True)
class PlanToday:
    """How a plan's backups went today."""
    plan: str
    last_success: datetime | None  # naive UTC; None if none since local midnight
    last_status: str | None  # status of the plan's last finished backup job
    last_error: str | None


@dataclass(frozen=True)
class Banner:
    """The one-line summary of today's backups."""
    level: str  # "ok", "warning", "error", "none"
    text: str
    plans: list[PlanToday]


NO_FILTER = HistoryFilter()
DEFAULT_SORT = HistorySort()
