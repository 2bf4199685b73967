"""Borg backups in the Backups pane: made with Run now, restored and deleted through core."""

from __future__ import annotations

import shutil

import pytest

from core.backups import list_backups

pytestmark = pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")


def test_borg_backup_is_listed_restored_and_deleted(qtbot, borg_pane, tmp_path, monkeypatch):
    pane = borg_pane
    b = pane.current()
    assert b is not None and b.engine == "borg" and b.type == "archive"
    assert pane.browse_button.isEnabled()
    assert not pane.copy_button.isEnabled()
    target = tmp_path / "out"

    def fill(dlg):
        dlg.folder.edit.setText(str(target))
        return True

    monkeypatch.setattr(pane, "exec_dialog", fill)
    with qtbot.waitSignal(pane.ops.done, timeout=60000):
        pane.restore_button.click()
    assert [p.read_text() for p in target.rglob("x.txt")] == ["x\n"]

    seen = []
    monkeypatch.setattr(pane, "exec_dialog",
                        lambda dlg: seen.append(dlg.files) or True)
    with qtbot.waitSignal(pane.ops.done, timeout=60000):
        pane.delete_button.click()
    assert seen == [True] and list_backups(pane.ctx.catalogue) == []
