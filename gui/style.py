"""Colours that carry meaning, in one place."""

from __future__ import annotations

STATUS_COLOURS = {
    "success": ("#1e7b3a", "#ffffff"),
    "partial": ("#c28a00", "#ffffff"),
    "failed": ("#c62828", "#ffffff"),
    "interrupted": ("#8e2424", "#ffffff"),
    "cancelled": ("#6b7280", "#ffffff"),
    "running": ("#1565c0", "#ffffff"),
    "queued": ("#90a4ae", "#ffffff"),
}
TRIGGER_COLOURS = {
    "manual": ("#e3ecfa", "#1d4e9e"),
    "scheduled": ("#e6f4ea", "#1e6b34"),
    "external": ("#f3e8fd", "#6a1b9a"),
    "cli": ("#eceff1", "#37474f"),
}
TRIGGER_LABELS: dict[str, str] = {}
