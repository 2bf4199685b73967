"""resources/: icons render, the desktop entry is complete, palettes load."""

from __future__ import annotations

import configparser

import pytest

from gui.resources import resource, resource_dir


def test_resources_found_from_the_checkout() -> None:
    base = resource_dir()
    assert base is not None and (base / "backupdesk.desktop").is_file()


@pytest.mark.parametrize("name", ["backupdesk", "tray-ok", "tray-running", "tray-warning",
                                  "tray-error", "tray-none"])
def test_svg_icons_render(qapp, name: str) -> None:
    from PySide6.QtSvg import QSvgRenderer

    path = resource("icons", f"{name}.svg")
    assert path is not None
    assert QSvgRenderer(str(path)).isValid()


def test_state_icons_come_from_the_svgs(qapp) -> None:
    from gui.icons import app_icon, drawn_state_icon, state_icon

    for state in ("ok", "running", "warning", "error", "unknown"):
        icon = state_icon(state)
        assert not icon.isNull() and 64 in [s.width() for s in icon.availableSizes()]
    ok = state_icon("ok").pixmap(64).toImage()
    drawn = drawn_state_icon("ok").pixmap(64).toImage()
    assert ok != drawn
    assert not app_icon().isNull()


def test_desktop_entry() -> None:
    path = resource("backupdesk.desktop")
    assert path is not None
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(path)
    entry = cp["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "backupdesk"
    assert entry["Icon"] == "backupdesk"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_palettes(qapp, scheme: str, monkeypatch) -> None:
    from PySide6.QtGui import QPalette

    from gui.theme import THEME_ENV, apply_theme, load_palette

    pal = load_palette(scheme)
    assert pal is not None
    window = pal.color(QPalette.ColorRole.Window).lightness()
    text = pal.color(QPalette.ColorRole.WindowText).lightness()
    assert (window > text) == (scheme == "light")
    monkeypatch.setenv(THEME_ENV, scheme)
    old = qapp.palette()
    try:
        assert apply_theme(qapp) == scheme
        assert qapp.palette().color(QPalette.ColorRole.Window) == pal.color(
            QPalette.ColorRole.Window)
    finally:
        qapp.setPalette(old)
