"""Borg backups in the Backups pane: made with Run now, restored and deleted through core."""

from __future__ import annotations

import shutil

import pytest

from core.backups import list_backups
from gui.panes.backups.pane import BackupsPane, browser_available
from gui.panes.settings.plan_form import PlanForm, save_plan
from gui.run_controller import run_controller

pytestmark = pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")


@pytest.fixture
def borg_pane(qtbot, app_ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text("x\n")
    form = PlanForm("vault", "borg", sources=[str(src)], passphrase="pw", borg_setup="init",
                    options={"repository": str(tmp_path / "repo"), "encryption": "repokey"})
    save_plan(app_ctx.catalogue, app_ctx.config.paths, form, None)
    pane = BackupsPane(app_ctx)
    qtbot.addWidget(pane)
    runs = run_controller(app_ctx)
    with qtbot.waitSignal(runs.finished, timeout=60000) as blocker:
        runs.start("vault")
    assert blocker.args[1].status == "success"
    qtbot.waitUntil(lambda: len(pane.model.items) == 1, timeout=10000)
    pane.select(pane.model.items[0].id)
    return pane


def test_borg_backup_is_listed_restored_and_deleted(qtbot, borg_pane, tmp_path, monkeypatch):
    pane = borg_pane
    b = pane.current()
    assert b is not None and b.engine == "borg" and b.type == "archive"
    assert pane.browse_button.isEnabled() == browser_available()
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
