"""The archive browser on a real borg repository: the tree streams in, a selection restores."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.borg,
              pytest.mark.skipif(shutil.which("borg") is None, reason="borg is not installed")]


@pytest.fixture
def borg_backup(home: Path, catalogue: Any, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> tuple[int, Path]:
    from core.config import AppPaths
    from core.jobs.repository import run_plan as run_borg_plan
    from core.jobs.repository import setup_repository
    from core.plans import add_plan

    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    src = tmp_path / "src"
    for d in range(3):
        (src / f"dir{d}" / "inner").mkdir(parents=True)
        for f in range(5):
            (src / f"dir{d}" / "inner" / f"f{f}.txt").write_text(f"{d}-{f}\n")
    (src / "readme.txt").write_text("hello\n")
    paths = AppPaths.resolve(str(home))
    plan = add_plan(catalogue, "gui", "borg", sources=[str(src)], destinations=[],
                    options={"repository": str(tmp_path / "repo"), "encryption": "none"})
    setup_repository(catalogue, paths, plan, create=True)
    out = run_borg_plan(catalogue, paths, plan)
    assert out.status == "success" and out.backup_id
    return out.backup_id, src


def test_browse_and_restore_selected(qtbot: Any, app_ctx: Any, borg_backup: tuple[int, Path],
                                     tmp_path: Path) -> None:
    from gui.panes.backups.browser import ArchiveBrowser

    backup_id, src = borg_backup
    w = ArchiveBrowser(app_ctx, backup_id)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.finished_listing, timeout=30000)
    assert "entries" in w.status.text()
    m = w.model
    assert m.rowCount() == 1  # the top of the source path
    # Walk down to the source folder.
    idx = m.index(0, 0)
    for part in str(src).strip("/").split("/")[1:]:
        m.fetchMore(idx)
        names = {m.index(r, 0, idx).data(): r for r in range(m.rowCount(idx))}
        idx = m.index(names[part], 0, idx)
    m.fetchMore(idx)
    names = {m.index(r, 0, idx).data(): r for r in range(m.rowCount(idx))}
    assert set(names) == {"dir0", "dir1", "dir2", "readme.txt"}
    w.view.expand(idx)
    sel = w.view.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    sel.select(m.index(names["readme.txt"], 0, idx), flags)
    sel.select(m.index(names["dir1"], 0, idx), flags)
    assert w.restore_button.isEnabled()
    assert w.selected_paths() == sorted([f"{str(src).strip('/')}/dir1",
                                         f"{str(src).strip('/')}/readme.txt"])
    w.grab().save(str(tmp_path / "browser.png"))
    target = tmp_path / "restored"
    w.restore_selected(target)
    qtbot.waitUntil(lambda: w.restoring is None, timeout=30000)
    assert "Restored" in w.status.text(), w.status.text()
    base = target / src.name  # each source under its base name, as an archive restore
    assert (base / "readme.txt").read_text() == "hello\n"
    assert (base / "dir1" / "inner" / "f4.txt").read_text() == "1-4\n"
    assert not (base / "dir0").exists()
    w.close()


def test_listing_error_is_shown(qtbot: Any, app_ctx: Any, borg_backup: tuple[int, Path],
                                tmp_path: Path) -> None:
    from gui.panes.backups.browser import ArchiveBrowser

    backup_id, _ = borg_backup
    (tmp_path / "repo").rename(tmp_path / "gone")
    w = ArchiveBrowser(app_ctx, backup_id)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.listing is None, timeout=30000)
    assert "no borg repository" in w.status.text().lower()
    w.close()


def test_outside_archives_are_recorded_when_the_app_opens(
        qtbot: Any, app_ctx: Any, borg_backup: tuple[int, Path], tmp_path: Path) -> None:
    import os
    import subprocess

    from core.backups import list_backups
    from gui.borg_refresh import refresh_borg_repositories

    _, src = borg_backup
    subprocess.run(["borg", "create", f"{tmp_path / 'repo'}::cron", str(src)], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL,
                   env={**os.environ, "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"})
    with qtbot.waitSignal(app_ctx.jobs_changed, timeout=30000):
        refresh_borg_repositories(app_ctx)
    assert "cron" in [b.name for b in list_backups(app_ctx.catalogue)]
