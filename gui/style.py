"""Colours that carry meaning, in one place. The trigger chips follow the light or dark palette
(gui.theme.COLOURS chip_*); status chips are saturated and read on both."""

from __future__ import annotations

from gui import theme

STATUS_COLOURS = {
    "success": ("#1e7b3a", "#ffffff"),
    "partial": ("#c28a00", "#ffffff"),
    "failed": ("#c62828", "#ffffff"),
    "interrupted": ("#8e2424", "#ffffff"),
    "cancelled": ("#6b7280", "#ffffff"),
    "skipped": ("#78909c", "#ffffff"),
    "running": ("#1565c0", "#ffffff"),
    "queued": ("#90a4ae", "#ffffff"),
}


class _ThemedChips(dict[str, tuple[str, str]]):
    """trigger -> (background, text) in the palette's light or dark variant, at paint time."""

    def get(self, key: str, default: tuple[str, str] | None = None  # type: ignore[override]
            ) -> tuple[str, str] | None:
        if f"chip_{key}_bg" not in theme.COLOURS:
            return default
        return theme.colour(f"chip_{key}_bg"), theme.colour(f"chip_{key}_fg")

    def __getitem__(self, key: str) -> tuple[str, str]:
        got = self.get(key)
        if got is None:
            raise KeyError(key)
        return got


TRIGGER_COLOURS = _ThemedChips(
    {k: ("", "") for k in ("manual", "scheduled", "external", "cli", "app")})
TRIGGER_LABELS: dict[str, str] = {"app": "app (at start)"}
