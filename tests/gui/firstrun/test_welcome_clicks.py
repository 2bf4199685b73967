"""The first-run welcome as a new user meets it: in the real main window, typed into key by key,
with the real secret store (the 0600 file: no OS keyring here) and the real borg."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from core.config import AppPaths
from core.plans import get_plan, list_plans
from core.secrets import FORCE_FILE_ENV
from gui.firstrun import default_excludes
from gui.welcome import WelcomeDialog, offer_welcome
from tests.gui.settings.clicks import click, type_into

SECRET = "correct horse battery"


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch) -> Path:
    h = tmp_path / "user"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.setenv(FORCE_FILE_ENV, "1")
    return h


def welcome(qtbot, window) -> WelcomeDialog:
    offer_welcome(window.ctx, window)
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is not None, timeout=10000)
    dlg = window.findChild(WelcomeDialog)
    qtbot.waitExposed(dlg)
    return dlg


def jobs(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "data" / "catalogue.sqlite3") as db:
        return [tuple(r) for r in db.execute("SELECT kind, status FROM jobs ORDER BY id")]


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_borg_welcome_tells_the_truth_and_shows_progress(qtbot, window, home, user_home):
    (user_home / "Documents").mkdir()
    (user_home / "Documents" / "a.txt").write_text("a\n")
    dlg = welcome(qtbot, window)
    assert dlg.kinds["borg"].isChecked()
    note = dlg.passphrase_note.text()
    assert "keeps it in the OS keyring" not in note and "readable only by you" in note
    type_into(qtbot, dlg.passphrase, SECRET)
    type_into(qtbot, dlg.passphrase_again, SECRET)
    ticks = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start(20)
    shown: list[bool] = []
    with qtbot.waitSignal(dlg.created, timeout=60000):
        click(qtbot, dlg.create_only)
        shown.append(dlg.progress.isVisible() and "borg init" in dlg.progress_label.text())
        ticked_before = ticks[0]
    timer.stop()
    assert shown == [True]  # progress from the click until the repository exists
    assert ticks[0] > ticked_before  # the event loop kept running during borg init
    assert jobs(home) == [("init", "success")]
    assert (user_home / "Backups" / "backupdesk.borg" / "config").is_file()


def test_no_documents_proposes_no_source_and_home_into_backups_is_refused(
        qtbot, window, home, user_home, monkeypatch):
    dlg = welcome(qtbot, window)
    assert dlg.source_list() == []  # never the whole home folder
    click(qtbot, dlg.kinds["archive"])
    click(qtbot, dlg.create_only)
    qtbot.waitUntil(dlg.error.isVisible, timeout=10000)
    assert "at least one folder" in dlg.error.text()
    # The person picks their home folder in the folder chooser (answered here: a native
    # dialog cannot be clicked offscreen).
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(user_home)))
    add = next(b for b in dlg.findChildren(type(dlg.create_only)) if "Add folder" in b.text())
    click(qtbot, add)
    assert dlg.source_list() == [str(user_home)]
    assert dlg.destination.text() == str(user_home / "Backups")
    dlg.error.hide()
    click(qtbot, dlg.create_only)
    qtbot.waitUntil(dlg.error.isVisible, timeout=10000)
    assert "inside the source" in dlg.error.text()
    assert list_plans(window.ctx.catalogue) == [] and not (user_home / "Backups").exists()
    # Somewhere else is fine; the app's own folders and virtual environments stay out.
    type_into(qtbot, dlg.destination, str(home.parent / "elsewhere"))
    with qtbot.waitSignal(dlg.created, timeout=30000):
        click(qtbot, dlg.create_only)
    plan = get_plan(window.ctx.catalogue, dlg.name.text())
    assert ".venv" in plan.excludes


def state_tree(root: Path) -> tuple[Path, AppPaths]:
    """A home folder holding a document, a virtual environment and Backup Desk's own state."""
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "a.txt").write_text("a\n")
    (root / "proj" / ".venv" / "lib").mkdir(parents=True)
    (root / "proj" / ".venv" / "lib" / "x.py").write_text("x\n")
    paths = AppPaths.resolve(str(root / ".backupdesk")).ensure()
    (paths.data_dir / "catalogue.sqlite3").write_text("db\n")
    return root, paths


def test_default_excludes_keep_state_and_venvs_out_of_an_archive(tmp_path):
    from core.engines.archive.scan import scan

    root, paths = state_tree(tmp_path / "me")
    got = scan([str(root)], default_excludes([str(root)], paths, "archive"))
    names = {i.path for i in got.items}
    assert "me/notes/a.txt" in names
    assert not [n for n in names if ".venv" in n or ".backupdesk/data" in n], names


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_default_excludes_keep_state_and_venvs_out_of_borg(tmp_path):
    root, paths = state_tree(tmp_path / "me")
    repo = tmp_path / "repo"
    env = {**os.environ, "BORG_BASE_DIR": str(tmp_path / "base"),
           "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes"}
    subprocess.run(["borg", "init", "-e", "none", str(repo)], check=True, env=env,
                   capture_output=True)
    argv = ["borg", "create", "--list", "--dry-run", f"{repo}::a", str(root)]
    for pattern in default_excludes([str(root)], paths, "borg"):
        argv += ["--exclude", pattern]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stderr
    kept = [line for line in out.splitlines() if not line.startswith("x ")]  # x: excluded
    assert any(line.endswith("notes/a.txt") for line in kept)
    assert not [line for line in kept if ".venv" in line or ".backupdesk/data" in line], out
