"""Settings as a person uses it: clicks and keys in the real main window, real borg behind it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

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


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_new_borg_repository_records_only_the_init(qtbot, window, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    pane = settings(qtbot, window)
    ed = pane.editor
    click(qtbot, pane.plans.new_button)
    type_into(qtbot, ed.name, "photos")
    choose(qtbot, ed.engine, "borg")
    ed.sources.add([str(src)])
    type_into(qtbot, ed.borg.repository, str(tmp_path / "repo"))
    choose(qtbot, ed.borg.setup, "Create a new repository (borg init)")
    type_into(qtbot, ed.borg.passphrase, SECRET)
    if getattr(ed.borg, "passphrase_again", None) is not None:
        type_into(qtbot, ed.borg.passphrase_again, SECRET)
    with qtbot.waitSignal(ed.saved, timeout=60000):
        click(qtbot, ed.save_button)
    assert (tmp_path / "repo" / "config").is_file()
    kinds = jobs(home)
    assert [k for k, _s, _t in kinds] == ["init"], kinds
    assert all(s == "success" for _k, s, _t in kinds), kinds
