"""The watchdog's plan-wide options (`plan add/edit --expect ... --grace ...`), stored in
plan.options beside the engine's: how often a plan without a schedule here is expected to
run, and how long after a due time it is late."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from core.engines.schema import Number, Schema, Text
from core.errors import ConfigError

# What applies while a plan does not set them (its options' defaults, never stored).
GRACE_TEXT = "1h"
MASS_CHANGE_PERCENT = 50
# "At least every ...": a period, not a time of day (a repository filled by someone's cron).
PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1),
           "weekly": timedelta(days=7)}
_DURATION = re.compile(r"(\d+)\s*(s|m|min|h|d)?$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, default_unit: str = "m") -> timedelta:
    """`30m`, `2h`, `1d`, `90s`; a bare number is in `default_unit`."""
    m = _DURATION.match(str(text).strip().lower())
    if m is None:
        raise ConfigError(f"Invalid duration {text!r}: use e.g. 30m, 2h or 1d.")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2) or default_unit])


GRACE = parse_duration(GRACE_TEXT)
MASS_CHANGE = MASS_CHANGE_PERCENT / 100  # share of the previous file count changed or deleted


def _check_grace(value: Any) -> timedelta:
    return parse_duration(str(value))


def check_expect(value: Any) -> str:
    """`hourly`, `daily`, `weekly` (a period) or a schedule expression (due times)."""
    from core.scheduling import expressions  # croniter: only when an expression is checked

    text = str(value).strip()
    if text.lower() in PERIODS:
        return text.lower()
    try:
        return expressions.normalise(text)
    except ConfigError as e:
        raise ConfigError(f"Invalid --expect {text!r}: use hourly, daily, weekly or a cron "
                          "expression such as '30 2 * * *'.") from e


class ExpectOption(Text):
    def check(self, value: Any) -> Any:
        return check_expect(super().check(value))

    def metavar(self) -> str | None:
        return "daily|EXPR"


class GraceOption(Text):
    def check(self, value: Any) -> Any:
        value = super().check(value)
        _check_grace(value)
        return value.strip()

    def metavar(self) -> str | None:
        return "DURATION"


class PercentOption(Number):
    def check(self, value: Any) -> Any:
        value = super().check(value)
        if value > 100:
            raise ConfigError(f"{self.flags[0]} must be a percentage from 1 to 100.")
        return value

    def argument(self) -> dict[str, Any]:
        return {**super().argument(), "metavar": "PERCENT"}


WATCH = Schema((
    ExpectOption("expect", "Expected every", empty_removes=True, flags=("--expect",),
                 help="how often a plan with no schedule here must have a backup: hourly, "
                      "daily, weekly or a cron expression (default: its schedule, else learned "
                      "from its backups' times)"),
    GraceOption("grace", "Grace", empty_removes=True, flags=("--grace",),
                default=GRACE_TEXT,
                help=f"how long after a due time the plan is late (e.g. 30m, 2h; default "
                     f"{GRACE_TEXT})"),
    PercentOption("mass_change", "Mass change", empty_removes=True, flags=("--mass-change",),
                  minimum=1, default=MASS_CHANGE_PERCENT,
                  help="warn when more than this share of the files changed or were deleted "
                       f"since the last backup (default {MASS_CHANGE_PERCENT})"),
), title="watchdog")


def grace_of(options: dict[str, Any], default: timedelta = GRACE) -> timedelta:
    g = options.get("grace")
    return parse_duration(str(g)) if g else default
