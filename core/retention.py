"""Which backups a keep policy keeps: borg's prune rules, plus chains.

The rules are borg's (`borg prune`): going from the newest backup to the oldest, each rule keeps
the newest backup of each period (second for `last`, hour, day, ISO week, month, year) until it
has kept N; a backup kept by an earlier rule does not count for a later one; a rule that runs
out of backups keeps the oldest one. Periods are in local time. Then, for chains, every backup
that a kept incremental builds on is kept too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
PERIODS = {
    "last": "%Y-%m-%d %H:%M:%S",
    "hourly": "%Y-%m-%d %H",
    "daily": "%Y-%m-%d",
    "weekly": "%G-%V",
    "monthly": "%Y-%m",
    "yearly": "%Y",
}


@dataclass(frozen=True)
class Item:
    """A backup the keep rules decide on."""
    id: int
    created_at: datetime  # naive UTC or aware
    parent_id: int | None = None


@dataclass(frozen=True)
class Decision:
    """Keep or remove one backup, and why."""
    id: int
    keep: bool
    reason: str


def clean_policy(policy: Mapping[str, object] | None) -> dict[str, int]:
    """The rules with a positive count, in borg's order."""
    out: dict[str, int] = {}
    for rule in RULES:
        n = (policy or {}).get(rule)
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            out[rule] = n
    return out


def _local(dt: datetime, tz: tzinfo | None) -> datetime:
    aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    return aware.astimezone(tz) if tz is not None else aware.astimezone()


def decide(items: Iterable[Item], policy: Mapping[str, object] | None,
           tz: tzinfo | None = None) -> list[Decision]:
    """One decision per item, newest first. With no rule at all, everything is kept."""
    rules = clean_policy(policy)
    newest_first = sorted(items, key=lambda i: (_local(i.created_at, tz), i.id), reverse=True)
    if not rules:
        return [Decision(i.id, True, "no keep rules") for i in newest_first]
    why: dict[int, str] = {}
    for rule, n in rules.items():
        _apply_rule(newest_first, rule, n, why, tz)
    _keep_chains(newest_first, why)
    return [Decision(i.id, i.id in why, why.get(i.id, "not kept by any rule"))
            for i in newest_first]


def _apply_rule(newest_first: list[Item], rule: str, n: int, why: dict[int, str],
                tz: tzinfo | None) -> None:
    pattern = PERIODS[rule]
    last: str | None = None
    kept = 0
    item: Item | None = None
    for item in newest_first:
        period = _local(item.created_at, tz).strftime(pattern)
        if period == last:
            continue
        last = period
        if item.id in why:
            continue
        kept += 1
        why[item.id] = f"{rule} #{kept}"
        if kept == n:
            return
    if item is not None and item.id not in why:
        why[item.id] = f"{rule} #{kept + 1} (oldest)"


def _keep_chains(items: list[Item], why: dict[int, str]) -> None:
    by_id = {i.id: i for i in items}
    for item in items:  # newest first: a chain's reason names its newest kept member
        if item.id not in why:
            continue
        parent = item.parent_id
        child = item.id
        while parent is not None and parent in by_id:
            if parent in why:
                break
            why[parent] = f"needed by backup {child}"
            child, parent = parent, by_id[parent].parent_id
