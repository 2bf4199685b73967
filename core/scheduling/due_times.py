"""Due times of a cron expression in a time zone, correct across DST changes.

Cron fields are matched against the zone's wall clock. When the clock springs forward, a
fixed-time run that falls into the gap runs at the first instant after it (never skipped); when
it falls back, a fixed-time run in the repeated hour runs once (the first time). Expressions
whose hour field is `*` follow real time: every real hour is run once, the gap has none.
"""

from __future__ import annotations

import functools
import os
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigError

# Larger than any UTC offset change, so that candidates are sorted before they are emitted.
_SLACK = timedelta(hours=3)


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or the local zone (with its DST rules) when `name` is empty."""
    if not name:
        return local_zone()
    if name not in zone_names():
        raise ConfigError(f"Unknown time zone {name!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ConfigError(f"Unknown time zone {name!r}.") from e


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name installed (read once; a prefix such as `Europe` is a folder, not
    a zone, and is not in it)."""
    return frozenset(zoneinfo.available_timezones())


def zone_problem(name: str) -> str | None:
    """Why `name` (as typed so far) is not a time zone, or None; opens no file once
    zone_names() has been read."""
    if not name or name in zone_names():
        return None
    if any(z.startswith(name) for z in zone_names()):
        return f"{name!r} is not a time zone yet: keep typing, e.g. Europe/Rome."
    return f"Unknown time zone {name!r}: use an IANA name such as Europe/Rome."


def local_zone() -> tzinfo:
    tz = os.environ.get("TZ", "").lstrip(":")
    try:
        if tz:
            return ZoneInfo(tz)
        with open("/etc/localtime", "rb") as f:
            return ZoneInfo.from_file(f, key="localtime")
    except (OSError, ZoneInfoNotFoundError, ValueError):
        fixed = datetime.now().astimezone().tzinfo
        return fixed if fixed is not None else UTC


def _exists(wall: datetime, tz: tzinfo) -> bool:
    aware = wall.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == wall


def _ambiguous(wall: datetime, tz: tzinfo) -> bool:
    a = wall.replace(tzinfo=tz, fold=0).utcoffset()
    b = wall.replace(tzinfo=tz, fold=1).utcoffset()
    return a != b and _exists(wall, tz)


def _gap_end(wall: datetime, tz: tzinfo) -> datetime:
    """The first real instant after the DST gap that swallowed `wall`."""
    before = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    after = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(before, after), max(before, after)
    # The transition lies between the two readings; find it to the minute.
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(second=0, microsecond=0)


def _instants(wall: datetime, tz: tzinfo, follows_real_time: bool) -> list[datetime]:
    if not _exists(wall, tz):
        return [] if follows_real_time else [_gap_end(wall, tz)]
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if follows_real_time and _ambiguous(wall, tz):
        return [first, wall.replace(tzinfo=tz, fold=1).astimezone(UTC)]
    return [first]


def _hour_is_wildcard(expr: str) -> bool:
    fields = expr.split()
    return len(fields) >= 2 and fields[1] in ("*", "*/1")


def iter_due(expr: str, after: datetime, tz: tzinfo, *, reverse: bool = False
             ) -> Iterator[datetime]:
    """Due instants (aware UTC) strictly after `after` (or strictly before, with `reverse`),
    in order."""
    if after.tzinfo is None:
        raise ValueError("iter_due needs an aware datetime")
    from croniter import croniter  # only the scheduler computes due times: not every command

    real = _hour_is_wildcard(expr)
    wall0 = after.astimezone(tz).replace(tzinfo=None)
    start = wall0 - _SLACK if not reverse else wall0 + _SLACK
    it = croniter(expr, start)
    pending: list[datetime] = []
    last: datetime | None = None
    while True:
        wall = it.get_prev(datetime) if reverse else it.get_next(datetime)
        for t in _instants(wall, tz, real):
            if (t < after) if reverse else (t > after):
                pending.append(t)
        pending = sorted(set(pending), reverse=reverse)
        # A candidate is final once the wall clock has moved past it by more than any offset.
        horizon = (wall + _SLACK) if reverse else (wall - _SLACK)
        while pending:
            head_wall = pending[0].astimezone(tz).replace(tzinfo=None)
            if (head_wall < horizon) if not reverse else (head_wall > horizon):
                t = pending.pop(0)
                if t != last:
                    last = t
                    yield t
            else:
                break


def due_after(expr: str, after: datetime, tz: tzinfo, count: int = 1) -> list[datetime]:
    out: list[datetime] = []
    for t in iter_due(expr, after, tz):
        out.append(t)
        if len(out) >= count:
            break
    return out


def previous_due(expr: str, at: datetime, tz: tzinfo) -> datetime | None:
    """The latest due instant at or before `at` (aware UTC)."""
    for t in iter_due(expr, at + timedelta(microseconds=1), tz, reverse=True):
        return t
    return None
