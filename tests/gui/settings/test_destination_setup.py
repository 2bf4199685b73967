"""The plan editor sets a destination up when the plan is saved (folder and marker file), and
its check refuses a pseudo file system, typed in as a person would."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from core.destinations import MARKER, read_marker
from core.plans import get_plan
from tests.gui.settings.test_plan_editor import pane, save  # noqa: F401


def type_destination(qtbot, a, text):
    row = a.destinations.add_row("")
    qtbot.mouseClick(row.edit, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(a.destinations.checked, timeout=10000,
                          check_params_cb=lambda loc, _ok: loc == text):
        qtbot.keyClicks(row.edit, text)
    return row


def test_saving_a_plan_sets_its_destination_up(qtbot, pane, app_ctx, tmp_path):  # noqa: F811
    src = tmp_path / "src"
    src.mkdir()
    dest = tmp_path / "usb" / "backups"
    pane.plans.new()
    qtbot.keyClicks(pane.editor.name, "docs")
    pane.editor.sources.add([str(src)])
    row = type_destination(qtbot, pane.editor.archive, str(dest))
    assert row.ok and "will be created" in row.status.text()
    assert not dest.exists()  # checking creates nothing
    save(qtbot, pane.editor)
    plan = get_plan(app_ctx.catalogue, "docs")
    assert read_marker(dest) == plan.destinations[0].options["marker"]
    assert (dest / MARKER).is_file()


@pytest.mark.skipif(os.geteuid() != 0, reason="as another user /proc is not writable anyway")
def test_a_pseudo_file_system_is_refused(qtbot, pane, tmp_path):  # noqa: F811
    row = type_destination(qtbot, pane.editor.archive, "/proc/backups")
    assert row.ok is False and "pseudo file system" in row.status.text()
