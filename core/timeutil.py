"""UTC in the catalogue, local time at the edges."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now, the catalogue's storage form."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def to_naive_utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with an explicit UTC offset, or None."""
    aware = to_aware(dt)
    return aware.isoformat().replace("+00:00", "Z") if aware else None


def local_midnight_utc(now: datetime | None = None) -> datetime:
    """Today's local midnight, as naive UTC."""
    local = (to_aware(now) or datetime.now(UTC)).astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)
