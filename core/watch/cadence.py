"""How often a plan is expected to run a kind of job: its schedule's due times, the cadence set
with `--expect`, or one learned from its backups' own times (an external repository)."""

from __future__ import annotations

import itertools
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dtime

from core.scheduling import due_times
from core.watch.options import PERIODS

LEARN_FROM = 5  # backups (four intervals) before a cadence is learned
# Learned only from regular times: three intervals in four at most this many times the median.
REGULAR = 2.0


@dataclass(frozen=True)
class Cadence:
    source: str  # "schedule", "expect" or "learned"
    expr: str | None = None  # due times (a cron expression in `tz`) ...
    tz: tzinfo | None = None
    period: timedelta | None = None  # ... or "at least every `period`"

    def due_after(self, t: datetime) -> datetime:
        """The first due time strictly after `t` (aware UTC)."""
        if self.period is not None:
            return t + self.period
        assert self.expr is not None and self.tz is not None
        return _fixed_time_due_after(self.expr, t, self.tz) or \
            due_times.due_after(self.expr, t, self.tz)[0]

    def describe(self) -> str:
        """"daily, from --expect", "30 2 * * *, from its schedule", ..."""
        source = SOURCES.get(self.source, self.source)
        if self.period is not None:
            what = next((w for w, p in PERIODS.items() if p == self.period), None)
            return f"{what or 'every ' + _span(self.period)}, {source}"
        return f"{self.expr}, {source}"


SOURCES = {"schedule": "from its schedule", "expect": "from --expect",
           "learned": "learned from its backups' times"}


def _span(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    return f"{minutes} min"


# "M H * * *" or "M H * * D,D": a fixed wall-clock time on every day or on some weekdays (the
# presets daily and weekly). Their due times are found here without croniter (about 1 ms a call,
# too slow for 200 plans); anything else, and a time in a DST gap, goes to core.scheduling.
_FIXED_TIME = re.compile(r"(\d{1,2}) (\d{1,2}) \* \* (\*|[0-6](?:,[0-6])*)$")


def _fixed_time_due_after(expr: str, t: datetime, tz: tzinfo) -> datetime | None:
    m = _FIXED_TIME.match(expr)
    if m is None:
        return None
    minute, hour = int(m.group(1)), int(m.group(2))
    days = None if m.group(3) == "*" else {int(d) for d in m.group(3).split(",")}
    day = t.astimezone(tz).date() - timedelta(days=1)
    for _ in range(10):
        # cron counts weekdays from Sunday = 0; date.weekday() from Monday = 0
        if days is None or (day.weekday() + 1) % 7 in days:
            wall = datetime.combine(day, dtime(hour, minute))
            instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
            if instant.astimezone(tz).replace(tzinfo=None) != wall:
                return None  # in a DST gap: core.scheduling's rule for it
            if instant > t:
                return instant
        day += timedelta(days=1)
    return None


def of_expression(expr: str, tzname: str | None, source: str) -> Cadence:
    return Cadence(source, expr=expr, tz=due_times.zone(tzname))


def of_expect(value: str) -> Cadence:
    if value in PERIODS:
        return Cadence("expect", period=PERIODS[value])
    return of_expression(value, None, "expect")


def learned(times: list[datetime]) -> Cadence | None:
    """The period of regular backup times (any order), or None: too few, or irregular."""
    if len(times) < LEARN_FROM:
        return None
    gaps = sorted(b - a for a, b in itertools.pairwise(sorted(times)))
    median = timedelta(seconds=statistics.median(g.total_seconds() for g in gaps))
    if median < timedelta(minutes=1):
        return None
    upper = gaps[(3 * len(gaps) + 3) // 4 - 1]
    if upper > median * REGULAR:
        return None
    return Cadence("learned", period=median)
