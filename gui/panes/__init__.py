"""The main window's panes. Each entry: key, title, and a factory taking the AppContext.

Factories import their pane lazily, so that start-up only pays for the pane on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from gui.context import AppContext


@dataclass(frozen=True)
class PaneSpec:
    key: str
    title: str
    factory: Callable[[AppContext], QWidget]


def _history(ctx: AppContext) -> QWidget:
    from gui.panes.history.pane import HistoryPane

    return HistoryPane(ctx)


def _backups(ctx: AppContext) -> QWidget:
    from gui.panes.backups.pane import BackupsPane

    return BackupsPane(ctx)


def _files(ctx: AppContext) -> QWidget:
    from gui.panes.files.pane import FilesPane

    return FilesPane(ctx)


def _devices(ctx: AppContext) -> QWidget:
    from gui.panes.devices.pane import DevicesPane

    return DevicesPane(ctx)


def _settings(ctx: AppContext) -> QWidget:
    from gui.panes.settings.pane import SettingsPane

    return SettingsPane(ctx)


PANES = [
    PaneSpec("history", "History", _history),
    PaneSpec("backups", "Backups", _backups),
    PaneSpec("files", "Files", _files),
    PaneSpec("devices", "Devices", _devices),
    PaneSpec("settings", "Settings", _settings),
]
