"""Schedule expressions: preset words and phrases, and cron, validated with croniter.

Presets: `hourly`, `daily`, `weekly`, `monthly` (at 02:00), `every N minutes`,
`daily at HH:MM`, `weekly on DAY at HH:MM`, `monthly on D at HH:MM`; anything else must be a
five-field cron expression.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from core.errors import ConfigError
from core.scheduling.due_times import due_after, local_zone

PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 2 * * *",
    "weekly": "0 2 * * 0",
    "monthly": "0 2 1 * *",
}
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_AT = r"(?:\s+at\s+(?P<h>\d{1,2}):(?P<m>\d{2}))?"
_EVERY = re.compile(r"every\s+(?P<n>\d+)\s*(?:m|min|mins|minute|minutes)$")
_DAILY = re.compile(r"daily" + _AT + "$")
_WEEKLY = re.compile(r"weekly(?:\s+on\s+(?P<d>[a-z]+))?" + _AT + "$")
_MONTHLY = re.compile(r"monthly(?:\s+on\s+(?:day\s+)?(?P<d>\d{1,2}))?" + _AT + "$")


def _hm(m: re.Match[str]) -> tuple[int, int]:
    if m.group("h") is None:
        return 2, 0
    h, mi = int(m.group("h")), int(m.group("m"))
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        raise ConfigError(f"{h:02d}:{mi:02d} is not a time of day.")
    return h, mi


def from_preset(text: str) -> str | None:
    """The cron expression of a preset phrase, or None if `text` is not one."""
    t = " ".join(text.strip().lower().split())
    if t in PRESETS:
        return PRESETS[t]
    if m := _EVERY.match(t):
        n = int(m.group("n"))
        if not 1 <= n <= 59:
            raise ConfigError("Every N minutes needs N between 1 and 59 (use hourly for 60).")
        return "* * * * *" if n == 1 else f"*/{n} * * * *"
    if m := _DAILY.match(t):
        h, mi = _hm(m)
        return f"{mi} {h} * * *"
    if m := _WEEKLY.match(t):
        h, mi = _hm(m)
        day = (m.group("d") or "sun")[:3]
        if day not in DAYS:
            raise ConfigError(f"{m.group('d')!r} is not a day of the week.")
        return f"{mi} {h} * * {DAYS.index(day)}"
    if m := _MONTHLY.match(t):
        h, mi = _hm(m)
        d = int(m.group("d") or 1)
        if not 1 <= d <= 31:
            raise ConfigError(f"{d} is not a day of the month.")
        return f"{mi} {h} {d} * *"
    return None


_NUM = re.compile(r"\d{1,2}$")


def friendly(expr: str) -> str:
    """The preset phrase for a cron expression when there is one ("30 4 * * 1" -> "weekly on
    mon at 04:30"), else the expression itself; from_preset(friendly(e)) == e."""
    fields = expr.split()
    if len(fields) != 5:
        return expr
    if expr == PRESETS["hourly"]:
        return "hourly"
    if expr == "* * * * *":
        return "every 1 minute"
    mi, h, dom, mon, dow = fields
    if mi.startswith("*/") and mi[2:].isdigit() and fields[1:] == ["*"] * 4:
        return f"every {int(mi[2:])} minutes"
    if not (_NUM.match(mi) and _NUM.match(h)) or int(h) > 23 or int(mi) > 59 or mon != "*":
        return expr
    at = f"at {int(h):02d}:{int(mi):02d}"
    if dom == "*" and dow == "*":
        return f"daily {at}"
    if dom == "*" and dow.isdigit() and int(dow) < len(DAYS):
        return f"weekly on {DAYS[int(dow)]} {at}"
    if dow == "*" and _NUM.match(dom) and 1 <= int(dom) <= 31:
        return f"monthly on {int(dom)} {at}"
    return expr


def normalise(expr: str) -> str:
    """A preset word or a cron expression, as the cron expression to store."""
    from croniter import croniter  # plan and schedule commands load it only when they validate

    e = " ".join(expr.strip().split())
    e = from_preset(e) or e
    if len(e.split()) != 5 or not croniter.is_valid(e):
        raise ConfigError(
            f"Invalid schedule {expr!r}: use hourly, daily, weekly, monthly, 'every 15 minutes', "
            "'daily at 02:30' or a cron expression such as '30 2 * * *'."
        )
    return e


def _zone_of(start: datetime, tz: tzinfo | None) -> tzinfo:
    if tz is not None:
        return tz
    if isinstance(start.tzinfo, ZoneInfo):
        return start.tzinfo
    return local_zone()


def next_runs(expr: str, start: datetime, count: int = 5, tz: tzinfo | None = None
              ) -> list[datetime]:
    """The next `count` due times after `start` (an aware datetime), DST-correct, in `tz`
    (default: start's zone if it is a ZoneInfo, else the local zone)."""
    z = _zone_of(start, tz)
    if start.tzinfo is None:
        start = start.replace(tzinfo=z)
    return [t.astimezone(z) for t in due_after(expr, start, z, count)]
