"""Issue 18: Plan > Import from borgmatic… in the real main window, with borgmatic itself
having made a real backup; the archive then shows in History and on the calendar strip."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMenu

from tests.core.borgmatic.test_borgmatic import (  # _isolated: borg and secrets per test
    PASSPHRASE,
    _isolated,  # noqa: F401
    borgmatic,
    needs_borg,
)
from tests.gui.backups.person import OFFSCREEN, click, open_pane, pick_folder, shot, when_dialog

pytestmark = [needs_borg, OFFSCREEN]


def _menu_click(qtbot, window, menu_title: str, action_text: str) -> None:
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(top).center())
    menu: QMenu = top.menu()
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    act = next(a for a in menu.actions() if a.text().replace("&", "") == action_text)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(act).center())


def test_import_from_borgmatic_menu(qtbot, window, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n" * 50)
    repo = tmp_path / "repo"
    config = tmp_path / "config.yaml"
    config.write_text(f"source_directories: [{src}]\nrepositories:\n  - path: {repo}\n"
                      f"    label: server\nencryption_passphrase: \"{PASSPHRASE}\"\n")
    borgmatic(config, "repo-create", "--encryption", "repokey")
    borgmatic(config, "create")
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.count_label.text() == "0 jobs", timeout=10000)

    chooser = when_dialog(qtbot, pick_folder(qtbot, config), QFileDialog)
    _menu_click(qtbot, window, "Plan", "Import from borgmatic…")
    qtbot.waitUntil(lambda: bool(chooser), timeout=10000)
    imp = window._borgmatic
    qtbot.waitUntil(lambda: imp.answer is not None and imp.answer.isVisible(), timeout=60000)
    assert "borgmatic-server" in imp.answer.text() and "added" in imp.answer.text()
    click(qtbot, imp.answer.button(imp.answer.StandardButton.Ok))

    # the refresh job that recorded it, and borgmatic's archive as an external backup
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=20000)
    rows = [pane.model.row_at(i) for i in range(2)]
    backup = next(r for r in rows if r.kind == "backup")
    assert backup.plan == "borgmatic-server" and backup.trigger == "external"
    assert backup.status == "success"
    qtbot.waitUntil(lambda: any(s.plan == "borgmatic-server" for s in pane.strip.strips),
                    timeout=10000)
    strip = next(s for s in pane.strip.strips if s.plan == "borgmatic-server")
    assert strip.cells[-1].state == "ok"
    shot(window, tmp_path / "borgmatic.png")

    # a broken file: a warning that says why, and no plan
    bad = tmp_path / "bad.yaml"
    bad.write_text("repositories: [\n")
    chooser = when_dialog(qtbot, pick_folder(qtbot, bad), QFileDialog)
    _menu_click(qtbot, window, "Plan", "Import from borgmatic…")
    qtbot.waitUntil(lambda: bool(chooser), timeout=10000)
    qtbot.waitUntil(lambda: imp.answer is not None and imp.answer.isVisible()
                    and "YAML" in imp.answer.text(), timeout=30000)
    assert imp.answer.icon() == imp.answer.Icon.Warning
    listed = subprocess.run([sys.executable, "-m", "core", "plan", "list"],
                            capture_output=True, text=True, timeout=60)
    assert listed.stdout.count("borgmatic-") == 1
