"""Schedule expressions: preset words and cron, validated with croniter."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

from core.errors import ConfigError

PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 2 * * *",
    "weekly": "0 2 * * 0",
    "monthly": "0 2 1 * *",
}


def normalise(expr: str) -> str:
    """A preset word or a cron expression, as the cron expression to store."""
    e = " ".join(expr.strip().split())
    e = PRESETS.get(e.lower(), e)
    if not croniter.is_valid(e):
        raise ConfigError(
            f"Invalid schedule {expr!r}: use hourly, daily, weekly, monthly or a cron expression "
            "such as '30 2 * * *'."
        )
    return e


def next_runs(expr: str, start: datetime, count: int = 5) -> list[datetime]:
    """The next `count` due times after `start` (an aware datetime), in start's time zone."""
    it = croniter(expr, start)
    return [it.get_next(datetime) for _ in range(count)]
