"""Settings as a person uses it: clicks and keys in the real main window, real borg behind it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.secrets import FORCE_FILE_ENV
from tests.gui.settings.clicks import choose, click, open_pane, type_into

SECRET = "correct horse battery"


@pytest.fixture(autouse=True)
def secrets_file(monkeypatch):
    monkeypatch.setenv(FORCE_FILE_ENV, "1")  # no OS keyring here: the 0600 file fallback


def jobs(home: Path) -> list[tuple[str, str, str]]:
    """(kind, status, trigger) of every job, read from the catalogue file directly."""
    with sqlite3.connect(home / "data" / "catalogue.sqlite3") as db:
        return [tuple(r) for r in db.execute("SELECT kind, status, trigger FROM jobs ORDER BY id")]


def settings(qtbot, window):
    pane = open_pane(qtbot, window, "Settings")
    qtbot.waitUntil(lambda: pane.plans.list.count() >= 0 and pane.ctx.catalogue is not None)
    return pane


def test_time_zone_typed_key_by_key_is_checked_inline(qtbot, window):
    pane = settings(qtbot, window)
    click(qtbot, pane.plans.new_button)
    box = pane.editor.schedules
    seen: list[tuple[str, bool, str]] = []
    box.zone.textChanged.connect(lambda t: seen.append((t, box.zone_ok, box.zone_info.text())))
    type_into(qtbot, box.zone, "Europe/Rome")
    assert box.zone.text() == "Europe/Rome"  # no key eaten by an error dialog
    by_text = {t: (ok, info) for t, ok, info in seen}
    assert by_text["Europe"][0] is False and "not a time zone yet" in by_text["Europe"][1]
    assert by_text["Europe/"][0] is False
    assert box.zone_ok and not box.zone_info.isVisible()
    assert "Europe/Rome" in box.fields["backup"].info.text() or not box.fields["backup"].text()


def new_borg_plan(qtbot, window, tmp_path, repo: Path):
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text("a\n")
    pane = settings(qtbot, window)
    ed = pane.editor
    click(qtbot, pane.plans.new_button)
    type_into(qtbot, ed.name, "photos")
    choose(qtbot, ed.engine, "borg")
    ed.sources.add([str(src)])
    type_into(qtbot, ed.borg.repository, str(repo))
    return ed


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_new_borg_repository_records_only_the_init(qtbot, window, home, tmp_path):
    ed = new_borg_plan(qtbot, window, tmp_path, tmp_path / "repo")
    # Nothing at that path: the editor offers to create the repository by itself.
    qtbot.waitUntil(lambda: ed.borg.setup.currentText().startswith("Create"), timeout=5000)
    type_into(qtbot, ed.borg.passphrase, SECRET)
    assert ed.borg.passphrase_again.isVisible()  # asked twice, as the welcome does
    assert "readable only by you" in ed.borg.secret_note.text()  # the 0600 file, said so
    type_into(qtbot, ed.borg.passphrase_again, SECRET + "x")
    click(qtbot, ed.save_button)
    assert "differ" in ed.message.text() and jobs(home) == []
    type_into(qtbot, ed.borg.passphrase_again, SECRET)
    with qtbot.waitSignal(ed.saved, timeout=60000):
        click(qtbot, ed.save_button)
    assert (tmp_path / "repo" / "config").is_file()
    assert jobs(home) == [("init", "success", "manual")]


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_existing_repository_that_is_not_there_records_no_job(qtbot, window, home, tmp_path):
    ed = new_borg_plan(qtbot, window, tmp_path, tmp_path / "nothing")
    qtbot.waitUntil(lambda: ed.borg.setup.currentText().startswith("Create"), timeout=5000)
    choose(qtbot, ed.borg.setup, "Use an existing repository")
    type_into(qtbot, ed.borg.passphrase, SECRET)
    with qtbot.waitSignal(ed.failed, timeout=20000):
        click(qtbot, ed.save_button)
    assert "no borg repository" in ed.message.text()
    assert jobs(home) == []  # no failed refresh job, hence no notification of one
    assert not (tmp_path / "nothing").exists()


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_borg_compression_and_encryption_chosen_in_the_editor(qtbot, window, home, tmp_path):
    import json
    import os
    import subprocess

    from core.engines.compression import BORG

    repo = tmp_path / "repo"
    ed = new_borg_plan(qtbot, window, tmp_path, repo)
    qtbot.waitUntil(lambda: ed.borg.setup.currentText().startswith("Create"), timeout=5000)
    b = ed.borg
    # The choices are the borg schema's: its algorithms, not the archive engine's.
    assert [b.compression.itemText(i) for i in range(b.compression.count())] == list(BORG.names)
    choose(qtbot, b.encryption, "repokey-blake2")
    choose(qtbot, b.compression, "zlib")
    assert b.level.isEnabled() and b.level.value() == 6  # zlib's default level
    qtbot.mouseClick(b.level, Qt.MouseButton.LeftButton)
    b.level.selectAll()
    qtbot.keyClicks(b.level, "9")
    type_into(qtbot, b.passphrase, SECRET)
    type_into(qtbot, b.passphrase_again, SECRET)
    with qtbot.waitSignal(ed.saved, timeout=60000):
        click(qtbot, ed.save_button)
    db = sqlite3.connect(home / "data" / "catalogue.sqlite3")
    with db:
        [(raw,)] = db.execute("SELECT options FROM plans WHERE name = 'photos'").fetchall()
    db.close()
    opts = json.loads(raw)
    assert opts["encryption"] == "repokey-blake2" and opts["compression"] == "zlib,9"
    info = subprocess.run(["borg", "info", "--json", str(repo)], capture_output=True, text=True,
                          env={**os.environ, "BORG_PASSPHRASE": SECRET}, check=True)
    assert json.loads(info.stdout)["encryption"]["mode"] == "repokey-blake2"
    # Shown again as saved: the field reads the stored spec back.
    assert (b.compression.currentText(), b.level.value()) == ("zlib", 9)
