"""The app's own refresh of borg repositories at start-up, as the window runs it (a
`backupdesk refresh` child process): labelled "app", and no History row when nothing changed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("borg") is None, reason="borg is not installed")


def jobs(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "data" / "catalogue.sqlite3") as db:
        return [tuple(r) for r in db.execute(
            "SELECT kind, trigger, status FROM jobs ORDER BY id")]


def start_window(qtbot: Any, window: Any) -> None:
    """What the app does once its catalogue is open (gui.app._catalogue_opened)."""
    from gui.borg_refresh import refresh_borg_repositories

    refresh_borg_repositories(window.ctx)
    qtbot.waitUntil(lambda: not window.ctx.workers.busy(), timeout=60000)


def test_start_up_refresh_is_the_apps_and_quiet(qtbot, window, home, catalogue, tmp_path,
                                                  monkeypatch):
    from core.config import AppPaths
    from core.jobs.repository import setup_repository
    from core.plans import add_plan

    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    repo = tmp_path / "repo"
    plan = add_plan(catalogue, "vault", "borg", sources=[str(src)], destinations=[],
                    options={"repository": str(repo), "encryption": "none"})
    setup_repository(catalogue, AppPaths.resolve(str(home)), plan, create=True)
    assert jobs(home) == [("init", "manual", "success")]
    for _ in range(2):  # two starts, nothing changed: no row
        start_window(qtbot, window)
        assert jobs(home) == [("init", "manual", "success")]
    # A cron job outside the app makes an archive: the next start records it, as the app's.
    subprocess.run(["borg", "create", f"{repo}::cron", str(src)], check=True,
                   capture_output=True, stdin=subprocess.DEVNULL,
                   env={**os.environ, "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"})
    start_window(qtbot, window)
    after = jobs(home)
    assert ("refresh", "app", "success") in after and ("backup", "external", "success") in after
    assert not [j for j in after if j[1] == "cli"]
    # The transaction stamp gone (another host wrote it, say): borg list runs, finds nothing
    # new, and still leaves no row.
    (home / "state" / "borg-transactions.json").unlink(missing_ok=True)
    start_window(qtbot, window)
    assert jobs(home) == after
