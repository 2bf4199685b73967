"""Plan editor: keep rules of archive plans and the three schedules (zone, missed runs), saved
through core and read back with the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.catalogue.schema import Schedule
from core.errors import NotFoundError
from core.plans import get_plan
from core.secrets import FORCE_FILE_ENV
from gui.panes.settings.keep_rules import KeepRulesBox
from gui.panes.settings.pane import SettingsPane
from tests.core.helpers import orm_session
from tests.gui.settings.test_plan_editor import plan_show, save, show_plan


@pytest.fixture
def pane(qtbot, app_ctx, monkeypatch):
    monkeypatch.setenv(FORCE_FILE_ENV, "1")
    p = SettingsPane(app_ctx)
    qtbot.addWidget(p)
    return p


def new_archive_plan(pane, tmp_path, name="docs"):
    ed = pane.editor
    pane.plans.new()
    ed.name.setText(name)
    (tmp_path / "src").mkdir(exist_ok=True)
    ed.sources.add([str(tmp_path / "src")])
    ed.archive.destinations.add_row(str(tmp_path / "d1"))
    return ed


def test_archive_keep_rules_are_saved_as_plan_add_saves_them(qtbot, pane, home, tmp_path):
    ed = new_archive_plan(pane, tmp_path)
    assert isinstance(ed.archive.keep, KeepRulesBox) and isinstance(ed.borg.keep, KeepRulesBox)
    ed.archive.keep["daily"].setValue(7)
    ed.archive.keep["weekly"].setValue(4)
    ed.archive.keep["monthly"].setValue(6)
    save(qtbot, ed)
    env = {**os.environ, FORCE_FILE_ENV: "1"}
    out = subprocess.run([sys.executable, "-m", "core", "--home", str(home), "plan", "add",
                          "cli", "--engine", "archive", "--source", str(tmp_path / "src"), "--dest",
                          str(tmp_path / "d1"), "--keep-daily", "7", "--keep-weekly", "4",
                          "--keep-monthly", "6"], capture_output=True, text=True, timeout=60,
                         env=env)
    assert out.returncode == 0, out.stderr
    gui, cli = plan_show(home, "docs"), plan_show(home, "cli")
    assert gui["options"]["keep"] == {"daily": 7, "weekly": 4, "monthly": 6}
    assert gui["options"]["keep"] == cli["options"]["keep"]
    # the editor also writes the default include=both, which plan add leaves out
    assert {k: v for k, v in gui["options"].items() if k != "include"} == cli["options"]
    # reopened, the rules are shown again; clearing them all keeps every backup
    show_plan(qtbot, pane, "cli")
    keep = ed.archive.keep
    assert {u: s.value() for u, s in keep.spins.items()} == {
        "last": 0, "hourly": 0, "daily": 7, "weekly": 4, "monthly": 6, "yearly": 0}
    for s in keep.spins.values():
        s.setValue(0)
    save(qtbot, ed)
    assert "keep" not in plan_show(home, "cli")["options"]


def test_three_schedules_with_zone_and_missed_policy(qtbot, pane, home, tmp_path):
    ed = new_archive_plan(pane, tmp_path)
    box = ed.schedules
    box.fields["backup"].set_text("daily at 02:30")
    box.fields["verify"].set_text("weekly on sun at 04:00")
    box.fields["restore_test"].set_text("monthly on 1 at 05:00")
    box.zone.setText("Europe/Rome")
    box.missed.setCurrentIndex(box.missed.findData("skip"))
    # the preview is in the chosen zone
    info = box.fields["backup"].info.text()
    assert "Europe/Rome" in info and info.count("02:30") == 5
    save(qtbot, ed)
    data = plan_show(home, "docs")
    got = {s["kind"]: s for s in data["schedules"]}
    assert {k: s["expression"] for k, s in got.items()} == {
        "backup": "30 2 * * *", "verify": "0 4 * * 0", "restore_test": "0 5 1 * *"}
    assert {s["timezone"] for s in got.values()} == {"Europe/Rome"}
    assert {s["missed_policy"] for s in got.values()} == {"skip"}
    first = datetime.fromisoformat(got["backup"]["next_runs"][0])
    assert first.astimezone(ZoneInfo("Europe/Rome")).strftime("%H:%M") == "02:30"

    # reopened: every field shows again; clearing verify removes that schedule only
    pane.plans.new()
    show_plan(qtbot, pane, "docs")
    assert box.fields["verify"].text() == "weekly on sun at 04:00"  # as written, not cron
    assert box.fields["restore_test"].text() == "monthly on 1 at 05:00"
    assert box.zone.text() == "Europe/Rome" and box.missed.currentData() == "skip"
    box.fields["verify"].set_text("")
    box.zone.setText("")
    box.missed.setCurrentIndex(box.missed.findData("catch_up"))
    save(qtbot, ed)
    got = {s["kind"]: s for s in plan_show(home, "docs")["schedules"]}
    assert sorted(got) == ["backup", "restore_test"]
    assert {s["timezone"] for s in got.values()} == {None}
    assert {s["missed_policy"] for s in got.values()} == {"catch_up"}


def test_unknown_zone_is_refused_before_saving(qtbot, pane, tmp_path):
    ed = new_archive_plan(pane, tmp_path)
    ed.schedules.fields["backup"].set_text("daily")
    ed.schedules.zone.setText("Europe/Atlantis")
    assert not ed.schedules.valid and "Unknown time zone" in ed.schedules.zone_info.text()
    with qtbot.waitSignal(ed.failed, timeout=5000) as blocker:
        ed.save_button.click()
    assert "Unknown time zone" in blocker.args[0]
    assert pane.plans.plans == []
    with pytest.raises(NotFoundError):
        get_plan(pane.ctx.catalogue, "docs")


def test_saving_wakes_the_running_scheduler(qtbot, window, tmp_path, monkeypatch):
    """The app's scheduler sleeps up to a minute; a saved schedule gets its due time at once."""
    from sqlalchemy import select

    from gui.window_scheduler import SchedulerHost

    monkeypatch.setenv(FORCE_FILE_ENV, "1")
    ctx = window.ctx
    host = SchedulerHost(ctx, window)
    qtbot.waitUntil(lambda: host.service is not None, timeout=10000)
    woken = []
    monkeypatch.setattr(host.service, "wake", lambda f=host.service.wake: (woken.append(1), f()))
    pane = SettingsPane(ctx)
    qtbot.addWidget(pane)
    ed = new_archive_plan(pane, tmp_path)
    ed.schedules.fields["verify"].set_text("every 15 minutes")
    save(qtbot, ed)
    assert woken

    def due_set():
        with orm_session(ctx.catalogue) as s:
            return s.scalars(select(Schedule.next_due_at)
                             .where(Schedule.kind == "verify")).first() is not None

    qtbot.waitUntil(due_set, timeout=20000)
    host.stop()


def test_restore_tests_only_for_engines_that_have_them(pane):
    ed = pane.editor
    pane.plans.new()
    field = ed.schedules.fields["restore_test"]
    assert field.edit.isEnabled()
    ed.engine.setCurrentText("borg")
    assert not field.edit.isEnabled()
    assert "not available" in field.info.text()
    ed.engine.setCurrentText("archive")
    assert field.edit.isEnabled() and "No restore test" in field.info.text()


def test_schedules_with_different_zones_are_flagged(qtbot, pane, tmp_path):
    from core.plans import add_plan
    from core.scheduling.plan_schedules import set_schedule

    cat = pane.ctx.catalogue
    add_plan(cat, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")],
             schedule="daily")
    set_schedule(cat, "docs", "weekly", kind="verify", timezone="Europe/Rome")
    show_plan(qtbot, pane, "docs")
    assert pane.editor.schedules.mixed.isVisibleTo(pane.editor)
    pane.plans.new()
    assert not pane.editor.schedules.mixed.isVisibleTo(pane.editor)
