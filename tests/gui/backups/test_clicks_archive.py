"""Issue 16, archive backups in the real main window, driven by mouse and keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from core.destinations import MARKER
from gui.panes.backups.dialogs import RestoreDialog
from tests.gui.backups.person import (
    OFFSCREEN,
    button,
    click,
    click_row,
    colour_at,
    into_folder,
    shot,
    type_text,
    when_dialog,
)

pytestmark = OFFSCREEN


def _tick(qtbot, tree, item) -> None:
    """Click the item, then Space ticks its box (as a keyboard user does)."""
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.keyClick(tree, Qt.Key.Key_Space)


def test_folder_not_empty_defaults_to_no_and_keeps_the_ticks(qtbot, archive_window, backups,
                                                             tmp_path):
    """Defect 11: Enter on "Folder not empty" means No, and the dialog stays with its ticks."""
    pane = archive_window
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("there before\n")
    click_row(qtbot, pane.tree, pane.model.index_of(backups["inc"]))
    steps: list[str] = []

    def press_enter(box):
        steps.append(box.text())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        qtbot.keyClick(box, Qt.Key.Key_Return)

    def press_yes(box):
        steps.append(box.text())
        click(qtbot, box.button(QMessageBox.StandardButton.Yes))

    def fill(dlg):
        qtbot.waitUntil(lambda: dlg.tree.topLevelItemCount() > 0, timeout=10000)
        type_text(qtbot, dlg.folder.edit, str(target))
        click(qtbot, dlg.whole)
        top = dlg.tree.topLevelItem(0)
        dlg.tree.expandItem(top)
        sub = next(top.child(i) for i in range(top.childCount()) if top.child(i).text(0) == "sub")
        _tick(qtbot, dlg.tree, sub)
        assert dlg.selected_paths() == ["Docs/sub"]
        when_dialog(qtbot, press_enter, QMessageBox)
        click(qtbot, button(dlg, "Restore"))
        qtbot.waitUntil(lambda: len(steps) == 1, timeout=10000)
        assert dlg.isVisible(), "No closed the Restore dialog"
        assert dlg.selected_paths() == ["Docs/sub"], "the ticked files were lost"
        assert "not empty" in dlg.problem.text()
        when_dialog(qtbot, press_yes, QMessageBox)
        click(qtbot, button(dlg, "Restore"))

    when_dialog(qtbot, fill, RestoreDialog)
    with qtbot.waitSignal(pane.ops.done, timeout=30000):
        click(qtbot, pane.restore_button)
    assert len(steps) == 2 and "not empty" in steps[0]
    assert (target / "Docs" / "sub" / "b.txt").read_text() == "beta\n"
    assert not (target / "Docs" / "a.txt").exists()
    assert (target / "keep.txt").read_text() == "there before\n"
    assert pane.message.text().startswith("Restored backup"), pane.message.text()


def _red_banners(pane):
    from gui.widgets import Banner

    return [b for b in pane.findChildren(Banner)
            if b.isVisibleTo(pane) and b.property("level") == "error"]


def test_one_red_banner_per_outcome_with_a_close_button(qtbot, archive_window, backups,
                                                        tmp_path):
    """Defect 7: two red banners said the same thing and none could be dismissed."""
    pane = archive_window
    d2 = backups["dests"][1]
    victim = next(p for p in sorted(d2.rglob("*")) if p.is_file() and p.name != MARKER)
    victim.write_bytes(b"garbage")
    for _ in range(2):
        with qtbot.waitSignal(pane.ops.done, timeout=30000):
            click(qtbot, pane.verify_all_button)
        qtbot.waitUntil(lambda: len(_red_banners(pane)) == 1, timeout=10000)
        qtbot.wait(300)  # the reload after the verify has painted
        assert len(_red_banners(pane)) == 1, [b.text() for b in _red_banners(pane)]
    banner = _red_banners(pane)[0]
    assert "corrupt" in banner.text() or "missing" in banner.text()
    image = shot(pane, tmp_path / "banner.png")
    assert colour_at(pane, image, banner).name() == "#fde8e8"  # the red chip is drawn
    click(qtbot, banner.close_button)
    assert _red_banners(pane) == []
    with qtbot.waitSignal(pane.ops.done, timeout=30000):
        click(qtbot, pane.verify_all_button)
    qtbot.waitUntil(lambda: len(_red_banners(pane)) == 1, timeout=10000)


def test_copy_out_says_how_much_and_where(qtbot, archive_window, backups, tmp_path):
    """What people expect: Copy out says how much it copied and where the files went."""
    from gui.panes.backups.dialogs import CopyOutDialog

    pane = archive_window
    click_row(qtbot, pane.tree, pane.model.index_of(backups["full"]))
    out = tmp_path / "out"
    into_folder(qtbot, pane, pane.copy_button, CopyOutDialog, out, "Copy out")
    text = pane.message.text()
    copied = [p for p in out.rglob("*") if p.is_file()]
    assert copied and text.startswith(f"Copied {len(copied)} files (") and str(out) in text, text


def test_backups_are_listed_newest_first(qtbot, window, backups, catalogue, home):
    """What people expect: Backups lists newest first, like the History."""
    from core.config import AppPaths
    from core.jobs.run import run_plan
    from tests.gui.backups.person import open_pane

    newer = run_plan(catalogue, AppPaths.resolve(str(home)), "docs", mode="full")
    pane = open_pane(qtbot, window, "Backups")
    qtbot.waitUntil(lambda: len(pane.model.items) == 3, timeout=10000)
    top = [pane.model.info(pane.model.index(r, 0)).id for r in range(pane.model.rowCount())]
    assert top == [newer.backup_id, backups["full"]]


def test_a_restore_with_entries_not_restored_says_so(qtbot, archive_window, backups, tmp_path):
    """A restore that could not write some entries is a warning naming them, not "ok"."""
    pane = archive_window
    target = tmp_path / "busy"
    (target / "Docs" / "a.txt" / "inside").mkdir(parents=True)  # a folder where a file goes
    (target / "Docs" / "a.txt" / "inside" / "x").write_text("keep\n")
    click_row(qtbot, pane.tree, pane.model.index_of(backups["inc"]))

    def press_yes(box):
        click(qtbot, box.button(QMessageBox.StandardButton.Yes))

    def fill(dlg):
        qtbot.waitUntil(lambda: dlg.tree.topLevelItemCount() > 0, timeout=10000)
        type_text(qtbot, dlg.folder.edit, str(target))
        when_dialog(qtbot, press_yes, QMessageBox)
        click(qtbot, button(dlg, "Restore"))

    when_dialog(qtbot, fill, RestoreDialog)
    with qtbot.waitSignal(pane.ops.done, timeout=30000):
        click(qtbot, pane.restore_button)
    assert (target / "Docs" / "sub" / "b.txt").read_text() == "beta\n"
    assert (target / "Docs" / "a.txt" / "inside" / "x").read_text() == "keep\n"
    assert pane.message.property("level") == "warning", pane.message.text()
    assert "1 entry not restored" in pane.message.text() and "a.txt" in pane.message.text()
