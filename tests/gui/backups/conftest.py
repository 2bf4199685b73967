from __future__ import annotations

from pathlib import Path

import pytest

from core.config import AppPaths
from core.plans import add_plan
from core.runner import run_plan


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
