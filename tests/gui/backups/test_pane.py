"""The Backups pane over real backups made by run_plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.backups import get_backup, list_backups
from gui.panes.backups.model import COL_PLAN, COL_STATUS, COL_TYPE
from gui.panes.backups.pane import BackupsPane


@pytest.fixture
def pane(qtbot, app_ctx, backups):
    p = BackupsPane(app_ctx)
    qtbot.addWidget(p)
    qtbot.waitUntil(lambda: len(p.model.items) == 2, timeout=10000)
    return p


def wait_op(qtbot, pane, action):
    with qtbot.waitSignals([pane.ops.done], timeout=20000, raising=True) as blocker:
        action()
    return blocker


def test_tree_shows_the_chain_with_every_column(pane, backups):
    m = pane.model
    assert m.rowCount() == 1
    full = m.index(0, 0)
    assert m.rowCount(full) == 1
    assert m.index(0, COL_TYPE).data() == "full"
    assert m.index(0, COL_PLAN).data() == "docs"
    child = m.index(0, COL_TYPE, full)
    assert child.data() == "incremental"
    assert m.info(child).parent_id == backups["full"]
    assert m.index(0, COL_STATUS).data() == "unverified"
    assert pane.count_label.text() == "2 backups"


def test_filters_reload_through_core(qtbot, pane):
    with qtbot.waitSignal(pane.model.loaded, timeout=10000):
        pane.filters.type.setCurrentText("incremental")
    assert [b.type for b in pane.model.items] == ["incremental"]
    assert pane.model.rowCount() == 1  # an orphan at the top when its full is filtered out
    assert pane.filters.plan.count() == 2 and pane.filters.destination.count() == 3


def test_verify_all_marks_a_corrupted_file_and_shows_a_banner(qtbot, pane, backups, app_ctx):
    full = get_backup(app_ctx.catalogue, backups["full"])
    archive = Path(full.locations[1].path) / "files.tar.zst"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with qtbot.waitSignal(app_ctx.jobs_changed, timeout=20000):
        wait_op(qtbot, pane, pane.verify_all_button.click)
    assert not pane.message.isVisibleTo(pane)  # one red banner, the damage banner (issue 16)
    qtbot.waitUntil(lambda: pane.banner.isVisibleTo(pane), timeout=10000)
    assert "corrupt" in pane.banner.text()
    states = {(b.id, loc.destination): loc.state
              for b in list_backups(app_ctx.catalogue) for loc in b.locations}
    assert states[(full.id, str(backups["dests"][1]))] == "corrupt"
    assert states[(full.id, str(backups["dests"][0]))] == "ok"
    qtbot.waitUntil(lambda: pane.model.index(0, COL_STATUS).data() == "damaged", timeout=10000)


def test_restore_selected_paths_only(qtbot, pane, backups, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    target = tmp_path / "only"

    def fill(dlg):
        qtbot.waitUntil(lambda: dlg.tree.topLevelItemCount() > 0, timeout=10000)
        dlg.folder.edit.setText(str(target))
        dlg.whole.setChecked(False)
        top = dlg.tree.topLevelItem(0)
        sub = next(top.child(i) for i in range(top.childCount())
                   if top.child(i).text(0) == "sub")
        sub.setCheckState(0, Qt.CheckState.Checked)
        assert dlg.selected_paths() == ["Docs/sub"]
        return True

    monkeypatch.setattr(pane, "exec_dialog", fill)
    pane.select(backups["inc"])
    wait_op(qtbot, pane, pane.restore_button.click)
    assert (target / "Docs" / "sub" / "b.txt").read_text() == "beta\n"
    assert not (target / "Docs" / "a.txt").exists()


def test_copy_out_saves_the_chain(qtbot, pane, backups, tmp_path, monkeypatch):
    out = tmp_path / "out"

    def fill(dlg):
        dlg.folder.edit.setText(str(out))
        dlg.chain.setChecked(True)
        return True

    monkeypatch.setattr(pane, "exec_dialog", fill)
    pane.select(backups["inc"])
    wait_op(qtbot, pane, pane.copy_button.click)
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 2
    assert all((out / f / "files.tar.zst").is_file() for f in folders)


def test_delete_full_says_the_chain_goes_and_removes_files(qtbot, pane, backups, app_ctx,
                                                          monkeypatch):
    shown: list[str] = []
    folders = [Path(loc.path) for b in list_backups(app_ctx.catalogue) for loc in b.locations]
    assert all(f.is_dir() for f in folders) and len(folders) == 4

    def confirm(dlg):
        shown.append(dlg.findChild(type(pane.count_label)).text())
        dlg.with_files.setChecked(True)
        return True

    monkeypatch.setattr(pane, "exec_dialog", confirm)
    pane.select(backups["full"])
    wait_op(qtbot, pane, pane.delete_button.click)
    assert "1 backup depending on it" in shown[0]
    assert list_backups(app_ctx.catalogue) == []
    assert not any(f.exists() for f in folders)
    qtbot.waitUntil(lambda: pane.stack.currentIndex() == 1, timeout=10000)


def test_delete_record_only_keeps_files(qtbot, pane, backups, app_ctx, monkeypatch):
    inc = get_backup(app_ctx.catalogue, backups["inc"])
    monkeypatch.setattr(pane, "exec_dialog", lambda dlg: True)
    pane.select(inc.id)
    wait_op(qtbot, pane, pane.delete_button.click)
    assert [b.id for b in list_backups(app_ctx.catalogue)] == [backups["full"]]
    assert all(Path(loc.path).is_dir() for loc in inc.locations)


def test_run_now_makes_a_backup_and_reports(qtbot, pane, app_ctx):
    from gui.run_controller import run_controller

    runs = run_controller(app_ctx)
    assert [a.text() for a in pane.run_menu.actions()] == ["docs"]
    with qtbot.waitSignal(runs.finished, timeout=30000) as blocker, \
            qtbot.waitSignal(app_ctx.jobs_changed, timeout=30000):
        pane.run_menu.actions()[0].trigger()
        assert "docs" in pane.run_bar.rows
    outcome = blocker.args[1]
    assert outcome.status == "success" and outcome.type == "incremental"
    assert "docs" not in pane.run_bar.rows
    assert "success" in pane.run_bar.outcome.text()
    qtbot.waitUntil(lambda: len(pane.model.items) == 3, timeout=10000)


def test_browse_is_disabled_for_archive_backups(pane, backups):
    pane.select(backups["full"])
    assert not pane.browse_button.isEnabled()
    assert pane.restore_button.isEnabled()
