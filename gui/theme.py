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
