"""Render the real main window offscreen on one pane and save a PNG."""

from __future__ import annotations

import getpass
import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from core.catalogue.db import open_catalogue
from core.config import AppConfig
from core.errors import BackupDeskError
from gui.app import build_window, create_app, install_qt_message_handler
from gui.context import AppContext
from gui.eventloop import wait_until
from gui.firstrun import removable_media, runnable_engines, suggest
from gui.panes.settings.pane import SettingsPane
from gui.panes.settings.plan_form import secret_place
from gui.welcome import WelcomeDialog


def render_pane(config: AppConfig, pane: str, out: Path, size: tuple[int, int]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    app = create_app()
    install_qt_message_handler()
    ctx, window = build_window(config)
    config.paths.ensure()
    ctx.set_catalogue(open_catalogue(config.catalogue_url))
    window.resize(*size)
    if pane == "welcome":
        grab_welcome(app, ctx, window, out)
        return
    shown = window.show_pane("settings" if pane == "plan-editor" else pane)
    window.show()
    settle(app, ctx)
    if pane == "plan-editor":  # the whole editor of the first plan, not its scrolled view
        assert isinstance(shown, SettingsPane)
        if not shown.editor.grab().save(str(out), "PNG"):
            raise BackupDeskError(f"Cannot write {out}.")
        window.close()
        ctx.shutdown()
        return
    ready = getattr(shown, "screenshot_ready", None)
    if callable(ready):  # a pane with data from elsewhere (the device grid) says when it has it
        wait_until(ready, 20, poll_ms=50)
        pick = getattr(shown, "screenshot_select", None)
        if callable(pick):  # show the pane's detail too
            pick()
        settle(app, ctx)
    if not window.grab().save(str(out), "PNG"):
        raise BackupDeskError(f"Cannot write {out}.")
    window.close()
    ctx.shutdown()
    QApplication.processEvents()


def grab_welcome(app: object, ctx: object, window: object, out: Path) -> None:
    """The first-run welcome as this home would offer it (whether or not plans exist)."""
    assert isinstance(ctx, AppContext) and isinstance(window, QWidget)

    s = suggest(Path.home(), runnable_engines(), removable_media(getpass.getuser()))
    dlg = WelcomeDialog(ctx, replace(s, secret_place=secret_place(ctx.config.paths)), window)
    dlg.show()
    settle(app, ctx)
    if not dlg.grab().save(str(out), "PNG"):
        raise BackupDeskError(f"Cannot write {out}.")
    dlg.close()
    ctx.shutdown()


def settle(app: object, ctx: object, timeout: float = 10.0) -> None:
    """Let queued work finish: until no worker task is pending three checks in a row."""
    assert isinstance(ctx, AppContext)
    quiet = [0]

    def idle() -> bool:
        busy = ctx.workers.pool.activeThreadCount() > 0 or ctx.workers.busy()
        quiet[0] = 0 if busy else quiet[0] + 1
        return quiet[0] >= 3

    wait_until(idle, timeout, poll_ms=20)
