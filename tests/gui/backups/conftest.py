from __future__ import annotations

from pathlib import Path

import pytest

from core.config import AppPaths
from core.jobs.run import run_plan
from core.plans import add_plan


def make_source(root: Path) -> Path:
    src = root / "Docs"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.txt").write_text("beta\n")
    return src


@pytest.fixture
def backups(catalogue, home, tmp_path):
    """Plan 'docs' with two destinations and a chain: a full and an incremental."""
    src = make_source(tmp_path)
    d1, d2 = tmp_path / "dest1", tmp_path / "dest2"
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(d1), str(d2)],
             options={"verify_after": False})
    paths = AppPaths.resolve(str(home))
    full = run_plan(catalogue, paths, "docs")
    (src / "c.txt").write_text("gamma\n")
    inc = run_plan(catalogue, paths, "docs")
    assert (full.status, inc.status, inc.type) == ("success", "success", "incremental")
    return {"src": src, "dests": (d1, d2), "full": full.backup_id, "inc": inc.backup_id}


@pytest.fixture
def borg_pane(qtbot, app_ctx, tmp_path, monkeypatch):
    """The Backups pane with one real borg backup of plan "vault" (passphrase "pw"), selected."""
    from gui.panes.backups.pane import BackupsPane
    from gui.panes.settings.plan_form import PlanForm, save_plan
    from gui.run_controller import run_controller

    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text("x\n")
    form = PlanForm("vault", "borg", sources=[str(src)], passphrase="pw", repository_setup="init",
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


@pytest.fixture
def borg_window(qtbot, window, app_ctx, tmp_path, monkeypatch):
    """The real main window on its Backups pane, with one borg backup of plan "vault" made by
    core (borg create runs outside the window) and selected by a click on its row."""
    from core.jobs.repository import run_plan as run_borg_plan
    from core.jobs.repository import setup_repository
    from tests.gui.backups.person import click_row, open_pane

    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    src = tmp_path / "src"
    (src / "Documents" / "sub").mkdir(parents=True)
    (src / "Documents" / "a.txt").write_text("alpha\n")
    (src / "Documents" / "sub" / "b.txt").write_text("beta\n")
    plan = add_plan(app_ctx.catalogue, "vault", "borg", sources=[str(src / "Documents")],
                    destinations=[], options={"repository": str(tmp_path / "repo"),
                                              "encryption": "none"})
    paths = app_ctx.config.paths
    setup_repository(app_ctx.catalogue, paths, plan, create=True)
    out = run_borg_plan(app_ctx.catalogue, paths, plan)
    assert out.status == "success" and out.backup_id
    pane = open_pane(qtbot, window, "Backups")
    qtbot.waitUntil(lambda: len(pane.model.items) == 1, timeout=10000)
    click_row(qtbot, pane.tree, pane.model.index_of(out.backup_id))
    qtbot.waitUntil(lambda: pane.current() is not None, timeout=5000)
    return {"window": window, "pane": pane, "src": src / "Documents", "id": out.backup_id}


@pytest.fixture
def archive_window(qtbot, window, backups):
    """The real main window on its Backups pane over the archive plan "docs" (full + inc)."""
    from tests.gui.backups.person import open_pane

    pane = open_pane(qtbot, window, "Backups")
    qtbot.waitUntil(lambda: len(pane.model.items) == 2, timeout=10000)
    return pane
