"""Issue 16, borg backups in the real main window, driven by mouse and keyboard."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from tests.gui.backups.person import (
    OFFSCREEN,
    button,
    click,
    click_row,
    into_folder,
    pick_folder,
    shot,
    when_dialog,
)

pytestmark = [pytest.mark.borg, OFFSCREEN,
              pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")]


def _browser(qtbot, pane):
    from gui.panes.backups.browser import ArchiveBrowser

    click(qtbot, pane.browse_button)
    qtbot.waitUntil(lambda: any(isinstance(w, ArchiveBrowser) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=10000)
    w = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ArchiveBrowser))
    qtbot.waitUntil(lambda: w.finished_listing, timeout=30000)
    return w


def _row_named(model, view, name):
    """The visible row called `name` (the browser opens the single chain down to it)."""
    def find(parent):
        for r in range(model.rowCount(parent)):
            idx = model.index(r, 0, parent)
            if idx.data() == name:
                return idx
            if view.isExpanded(idx):
                hit = find(idx)
                if hit is not None:
                    return hit
        return None
    from PySide6.QtCore import QModelIndex

    return find(QModelIndex())


def test_browse_contents_restore_selected_by_clicks(qtbot, borg_window, tmp_path):
    """Defect 1: Restore selected… in the browser restored into `False` (clicked(bool))."""
    pane = borg_window["pane"]
    w = _browser(qtbot, pane)
    a = _row_named(w.model, w.view, "a.txt")
    assert a is not None, "the browser did not open the folder chain down to the files"
    click_row(qtbot, w.view, a)
    assert w.restore_button.isEnabled()
    target = tmp_path / "restored"
    target.mkdir()
    chooser = when_dialog(qtbot, pick_folder(qtbot, target), QFileDialog)
    click(qtbot, w.restore_button)
    qtbot.waitUntil(lambda: bool(chooser), timeout=10000)
    qtbot.waitUntil(lambda: w.restoring is None and "Restor" in w.status.text()
                    and "…" not in w.status.text(), timeout=30000)
    assert w.status.text().startswith(f"Restored 1 file into {target}."), w.status.text()
    shot(w, tmp_path / "browser.png")
    # Defect 10: under the source's base name, as an archive restore lays it out.
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == [
        "Documents", "Documents/a.txt"]
    assert (target / "Documents" / "a.txt").read_text() == "alpha\n"
    assert not list(target.rglob("b.txt"))
    w.close()


def test_restore_dialog_of_a_borg_backup_offers_browse_contents(qtbot, borg_window, tmp_path):
    """Defect 10: the Restore dialog said "no manifest"; it offers Browse contents, and a whole
    restore lands under the source's base name (Documents/…), as an archive restore does."""
    from gui.panes.backups.browser import ArchiveBrowser
    from gui.panes.backups.dialogs import RestoreDialog

    pane = borg_window["pane"]
    texts: list[str] = []

    def browse(dlg):
        texts.extend(w.text() for w in dlg.findChildren(QLabel) if w.isVisible())
        click(qtbot, button(dlg, "Browse contents…"))

    when_dialog(qtbot, browse, RestoreDialog)
    click(qtbot, pane.restore_button)
    qtbot.waitUntil(lambda: any(isinstance(w, ArchiveBrowser) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=10000)
    assert texts and not any("manifest" in t for t in texts), texts
    for w in QApplication.topLevelWidgets():
        if isinstance(w, ArchiveBrowser):
            w.close()

    target = tmp_path / "whole"
    into_folder(qtbot, pane, pane.restore_button, RestoreDialog, target, "Restore")
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == [
        "Documents", "Documents/a.txt", "Documents/sub", "Documents/sub/b.txt"]


def test_a_borg_backup_reads_as_a_snapshot_not_an_archive(borg_window):
    """Defect 15: the borg backup type "archive" clashed with the archive engine's name."""
    from gui.panes.backups.model import COL_TYPE

    pane = borg_window["pane"]
    idx = pane.model.index_of(borg_window["id"])
    assert pane.model.index(idx.row(), COL_TYPE, idx.parent()).data() == "borg snapshot"
    assert "borg snapshot" in pane.detail.findChild(QLabel).text()


def test_verify_of_a_repository_that_is_away_is_a_warning_naming_it(qtbot, borg_window,
                                                                     tmp_path):
    """A copy that could not be verified (its repository moved away) is not stored as damaged,
    so no damage banner names it: the result banner must, in yellow."""
    pane = borg_window["pane"]
    (tmp_path / "repo").rename(tmp_path / "repo-away")
    with qtbot.waitSignal(pane.ops.done, timeout=60000):
        click(qtbot, pane.verify_all_button)
    qtbot.waitUntil(lambda: pane.message.isVisible(), timeout=10000)
    assert pane.message.property("level") == "warning", pane.message.text()
    text = pane.message.text()
    assert text.startswith("1 copy could not be verified: backup "), text
    assert str(tmp_path / "repo") in text
