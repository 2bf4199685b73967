"""Light and dark palettes (resources/styles/*.json) that follow the system's colour scheme.

BACKUPDESK_THEME=light|dark overrides the system (screenshots, tests).
"""

from __future__ import annotations

import json
import logging
import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from gui.resources import resource

log = logging.getLogger(__name__)
THEME_ENV = "BACKUPDESK_THEME"

# Colours that carry meaning, as (light, dark). Widgets ask colour(name) when they style
# themselves, so that dark mode gets dark banners and chips instead of glaring light ones.
COLOURS: dict[str, tuple[str, str]] = {
    "error_text": ("#9b1c1c", "#ff8f8f"),
    "ok_text": ("#1e6b34", "#7fd49a"),
    "warn_text": ("#7a5a00", "#f0c75e"),
    "warn_mark": ("#c27c00", "#f5b63d"),  # History: a job with warnings (anomalies)
    # banners: background, text, border per level
    "banner_ok_bg": ("#e6f4ea", "#17301f"), "banner_ok_fg": ("#1e6b34", "#9be0b1"),
    "banner_ok_border": ("#9bd3ae", "#2f6b43"),
    "banner_warning_bg": ("#fff7e0", "#332a10"), "banner_warning_fg": ("#7a5a00", "#f5d37a"),
    "banner_warning_border": ("#f0d27a", "#6b5720"),
    "banner_error_bg": ("#fde8e8", "#3a1a1a"), "banner_error_fg": ("#9b1c1c", "#ffadad"),
    "banner_error_border": ("#f3a5a5", "#7a2f2f"),
    "banner_none_bg": ("#eef1f5", "#262a30"), "banner_none_fg": ("#3c4858", "#c5ccd6"),
    "banner_none_border": ("#cfd6df", "#3a4048"),
    # trigger chips (History): background, text
    "chip_manual_bg": ("#e3ecfa", "#1f2f4a"), "chip_manual_fg": ("#1d4e9e", "#9cc0ff"),
    "chip_scheduled_bg": ("#e6f4ea", "#1b3323"), "chip_scheduled_fg": ("#1e6b34", "#8fd7a6"),
    "chip_external_bg": ("#f3e8fd", "#30203f"), "chip_external_fg": ("#6a1b9a", "#d3a8f5"),
    "chip_cli_bg": ("#eceff1", "#2a2f34"), "chip_cli_fg": ("#37474f", "#c2ccd3"),
    "chip_app_bg": ("#eceff1", "#2a2f34"), "chip_app_fg": ("#37474f", "#c2ccd3"),
    # device tiles: the offline tile must stand out from a dark window, not vanish into it
    "tile_offline": ("#1d1d1f", "#4a4f57"),
}


def is_dark() -> bool:
    """True when the application's palette is a dark one (whatever set it)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return bool(app.palette().window().color().lightness() < 128)


def colour(name: str) -> str:
    """The named meaningful colour for the current light or dark palette."""
    light, dark = COLOURS[name]
    return dark if is_dark() else light


def system_scheme(app: QGuiApplication) -> str:
    forced = os.environ.get(THEME_ENV, "").lower()
    if forced in ("light", "dark"):
        return forced
    scheme = app.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def load_palette(name: str) -> QPalette | None:
    path = resource("styles", f"{name}.json")
    if path is None:
        return None
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError):
        log.warning("cannot read palette %s", path)
        return None
    pal = QPalette()
    roles = QPalette.ColorRole
    for role_name, colour in spec.items():
        role = getattr(roles, role_name, None)
        if isinstance(colour, str) and role is not None:
            pal.setColor(role, QColor(colour))
    for role_name, colour in spec.get("disabled", {}).items():
        role = getattr(roles, role_name, None)
        if role is not None:
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return pal


def apply_theme(app: QGuiApplication) -> str:
    """Set the palette of the current scheme; return its name."""
    name = system_scheme(app)
    pal = load_palette(name)
    if pal is not None:
        app.setPalette(pal)
    return name


def follow_system(app: QGuiApplication) -> None:
    """Apply the theme now and whenever the system switches between light and dark."""
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _s: apply_theme(app))
