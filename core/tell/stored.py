"""What a run reads of the "tell" options a plan stores (core.tell.options declares them):
their keys, defaults and stored forms, apart from the option schema, which a run never needs."""

from __future__ import annotations

import json
from typing import Any

PING_KEY, NOTIFY_KEY = "ping", "notify"
EXIT_CODE = "exit-code"  # --ping-signal: a job's end is pinged as URL/<its CLI exit status>
HOOK_TIMEOUT_S = 600  # what applies while a plan sets none
HOOK_TIMEOUT = f"{HOOK_TIMEOUT_S // 60}m"  # the same, as plan show and --help spell it
EVENTS = ("failure", "partial", "anomaly", "late", "missing", "hung", "success")
DEFAULT_EVENTS = ("failure", "partial", "anomaly", "late", "missing", "hung")


def notify_urls(stored: str | None) -> list[str]:
    """The notification targets from their stored secret."""
    if not stored:
        return []
    try:
        urls = json.loads(stored)
    except ValueError:
        return []
    return [str(u) for u in urls] if isinstance(urls, list) else []


def events_of(opts: dict[str, Any]) -> frozenset[str]:
    raw = opts.get("notify_on")
    return frozenset(str(raw).split(",")) if raw else frozenset(DEFAULT_EVENTS)
