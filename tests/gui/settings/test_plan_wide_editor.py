"""The plan editor's plan-wide options (core.plan_wide.SCHEMAS), typed key by key in the real
main window and checked through `backupdesk plan show --json` and the secret store; encryption
turned on from the window, its recovery key read from the dialog and used with the real `age`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from core.secrets import FORCE_FILE_ENV
from gui.panes.settings.recovery_dialog import RecoveryKeyDialog
from tests.gui.settings.clicks import choose, click, open_pane, type_into


@pytest.fixture(autouse=True)
def secrets_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_FILE_ENV, "1")  # no OS keyring here: the 0600 file fallback


def backupdesk(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "core.cli.main", *args], capture_output=True,
                          text=True, env=os.environ.copy(), check=True, timeout=120)
    return done.stdout


def shown(name: str) -> dict[str, Any]:
    return dict(json.loads(backupdesk("plan", "show", name, "--json")))


def secrets(home: Path) -> dict[str, str]:
    f = home / "config" / "secrets.json"
    return json.loads(f.read_text()) if f.exists() else {}


def new_plan(qtbot: Any, window: Any, tmp_path: Path) -> Any:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n")
    pane = open_pane(qtbot, window, "Settings")
    qtbot.waitUntil(lambda: pane.ctx.catalogue is not None)
    ed = pane.editor
    click(qtbot, pane.plans.new_button)
    type_into(qtbot, ed.name, "docs")
    ed.sources.add([str(src)])
    click(qtbot, ed.archive.destinations.add_button)
    type_into(qtbot, ed.archive.destinations.rows[0].edit, str(tmp_path / "d"))
    qtbot.waitUntil(lambda: ed.archive.destinations.rows[0].ok is True, timeout=5000)
    return ed


def tick(qtbot: Any, box: Any) -> None:
    """Click a check box on its box (its center may be past its text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def save(qtbot: Any, ed: Any) -> None:
    with qtbot.waitSignal(ed.saved, timeout=30000):
        click(qtbot, ed.save_button)


def test_plan_wide_options_typed_saved_shown_and_cleared(qtbot, window, home, tmp_path):
    ed = new_plan(qtbot, window, tmp_path)
    f = ed.wide.fields
    typed = {"before": "echo before", "on_failure": "echo failed", "hook_timeout": "90s",
             "expect": "daily", "grace": "30m", "mass_change": "40", "ssh_command": "ssh -i k",
             "bwlimit": "10M", "notify_on": "failure,success",
             "ping": "https://hc.example/uuid-77", "notify": "ntfy://tok-9@ntfy.example/t"}
    for name, text in typed.items():
        type_into(qtbot, f[name], text)
    choose(qtbot, f["ping_signal"], "URL/<exit code>")
    choose(qtbot, ed.wide.host, "A named host")
    type_into(qtbot, ed.wide.host_name, "nas")
    tick(qtbot, ed.wide.shared_boxes[0])
    assert ed.wide.shared_values() == [str(tmp_path / "d")]
    save(qtbot, ed)
    plan = shown("docs")
    opts = plan["options"]
    assert {k: opts[k] for k in ("before", "on_failure", "expect", "grace", "ssh_command",
                                 "bwlimit", "notify_on")} == {
        "before": "echo before", "on_failure": "echo failed", "expect": "daily",
        "grace": "30m", "ssh_command": "ssh -i k", "bwlimit": "10M",
        "notify_on": "failure,success"}
    assert opts["hook_timeout"] == 90 and opts["mass_change"] == 40
    assert opts["ping_signal"] == "exit-code"
    assert opts["ping"] == "(secret)" and opts["notify"] == ["ntfy://(secret)"]
    assert plan["host"] == "nas" and plan["destinations"][0]["shared"] is True
    held = secrets(home)
    assert held[f"plan-{plan['id']}:ping"] == "https://hc.example/uuid-77"
    assert json.loads(held[f"plan-{plan['id']}:notify"]) == ["ntfy://tok-9@ntfy.example/t"]
    # Shown back: never the secrets in clear.
    assert f["ping"].text() == "(secret)" and "tok-9" not in f["notify"].text()
    assert f["hook_timeout"].text() == "90s"
    # A bad value: marked as you type, one line in the form, nothing saved.
    type_into(qtbot, f["grace"], "soon")
    assert "Invalid duration 'soon'" in f["grace"].toolTip() and f["grace"].styleSheet()
    click(qtbot, ed.save_button)
    assert ed.message.text().startswith("Grace: Invalid duration 'soon'")
    assert "\n" not in ed.message.text() and shown("docs")["options"]["grace"] == "30m"
    # Emptied fields remove their options (and the ping's secret); the rest stays.
    for name in ("grace", "ping", "mass_change"):
        type_into(qtbot, f[name], "")
    choose(qtbot, f["ping_signal"], "default: URL or URL/fail")
    assert not f["grace"].styleSheet() and not f["grace"].problem
    choose(qtbot, ed.wide.host, "Any host")
    save(qtbot, ed)
    plan = shown("docs")
    assert not {"grace", "ping", "mass_change", "ping_signal"} & set(plan["options"])
    assert plan["options"]["before"] == "echo before" and plan["host"] is None
    assert f"plan-{plan['id']}:ping" not in secrets(home)
    assert f"plan-{plan['id']}:notify" in secrets(home)


def dialog_of(qtbot: Any, cls: type) -> Any:
    found: list[Any] = []

    def visible() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, cls) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=10000)
    return found[0]


@pytest.mark.skipif(shutil.which("age") is None, reason="needs the age binary")
def test_encryption_from_the_window_and_a_restore_with_the_recovery_key(
        qtbot, window, home, tmp_path):
    ed = new_plan(qtbot, window, tmp_path)
    tick(qtbot, ed.wide.encrypt)
    save(qtbot, ed)
    dlg = dialog_of(qtbot, RecoveryKeyDialog)
    key = dlg.key.text()
    assert key.startswith("AGE-SECRET-KEY-1") and "key export docs" in dlg.text.text()
    click(qtbot, dlg.copy_button)
    assert QApplication.clipboard().text() == key
    dlg.save_to(tmp_path / "key.txt")
    assert (tmp_path / "key.txt").stat().st_mode & 0o777 == 0o600
    click(qtbot, dlg.close_button)
    assert not dlg.isVisible()
    rcpt = shown("docs")["options"]["encrypt"]
    assert rcpt.startswith("age1") and backupdesk("key", "export", "docs").split()[-1] == key
    # A backup, restored with the key from the dialog and the real age, zstd and tar.
    backupdesk("run", "docs")
    (b,) = json.loads(backupdesk("backups", "--json"))
    archive = Path(b["locations"][0]["path"]) / "files.tar.zst.age"
    out = tmp_path / "restored"
    out.mkdir()
    subprocess.run(f"age -d -i '{tmp_path / 'key.txt'}' '{archive}' | zstd -d | "
                   f"tar -x -C '{out}'", shell=True, check=True, executable="/bin/bash")
    assert [p.read_text() for p in out.rglob("a.txt")] == ["alpha\n"]
    # Off: allowed, the dialog says what it means, the key stays for the old backups.
    tick(qtbot, ed.wide.encrypt)
    save(qtbot, ed)
    box = dialog_of(qtbot, QMessageBox)
    assert "no longer encrypts" in box.text() and "still need" in box.text()
    click(qtbot, box.button(QMessageBox.StandardButton.Ok))
    assert "encrypt" not in shown("docs")["options"]
    assert f"age-key:{rcpt}" in secrets(home)


def test_a_new_notification_target_beside_a_stored_one_keeps_both(qtbot, window, home,
                                                                   tmp_path):
    ed = new_plan(qtbot, window, tmp_path)
    type_into(qtbot, ed.wide.fields["notify"], "ntfy://tok-1@ntfy.example/a")
    save(qtbot, ed)
    field = ed.wide.fields["notify"]
    assert field.text() == "ntfy://(secret)"
    qtbot.keyClick(field, Qt.Key.Key_End)
    qtbot.keyClicks(field, " mailto://me:pw@mail.example")
    save(qtbot, ed)
    plan = shown("docs")
    assert plan["options"]["notify"] == ["ntfy://(secret)", "mailto://(secret)"]
    assert json.loads(secrets(home)[f"plan-{plan['id']}:notify"]) == [
        "ntfy://tok-1@ntfy.example/a", "mailto://me:pw@mail.example"]
    # The first removed: only the second is notified.
    field.selectAll()
    qtbot.keyClicks(field, "mailto://(secret)")
    save(qtbot, ed)
    assert json.loads(secrets(home)[f"plan-{plan['id']}:notify"]) == [
        "mailto://me:pw@mail.example"]


def test_a_remote_destination_shows_as_shared_and_cannot_be_unticked(qtbot):
    from gui.panes.settings.plan_wide_box import PlanWideBox

    box = PlanWideBox()
    qtbot.addWidget(box)
    box.set_destinations(["/mnt/usb/backups", "s3://bucket/backups"], set())
    local, remote = box.shared_boxes
    assert not local.isChecked() and local.isEnabled()
    assert remote.isChecked() and not remote.isEnabled()
    tick(qtbot, remote)  # a click on a locked box changes nothing
    assert box.shared_values() == ["s3://bucket/backups"]


def test_an_unset_option_with_a_default_shows_its_default(qtbot, window, home, tmp_path):
    ed = new_plan(qtbot, window, tmp_path)
    f = ed.wide.fields
    type_into(qtbot, f["grace"], "30m")
    save(qtbot, ed)
    assert [f[n].placeholderText() for n in ("mass_change", "hook_timeout", "before")] == [
        "default 50", "default 10m", "not set"]
    assert f["ping_signal"].currentText() == "default: URL or URL/fail"
    assert f["grace"].text() == "30m"
    defaults = shown("docs")["defaults"]
    assert defaults["mass_change"] == 50 and defaults["hook_timeout"] == "10m"
    assert "grace" not in defaults and "before" not in defaults
    type_into(qtbot, f["grace"], "")
    save(qtbot, ed)
    assert f["grace"].placeholderText() == "default 1h"
    assert shown("docs")["defaults"]["grace"] == "1h"


def test_remote_settings_show_only_for_engines_with_remote_destinations(qtbot, window):
    from core import engines
    from core.engines import Capability
    from core.remote import settings as remote_settings

    pane = open_pane(qtbot, window, "Settings")
    ed = pane.editor
    click(qtbot, pane.plans.new_button)
    remote = ed.wide.boxes[remote_settings.SCHEMA.title]
    watchdog = ed.wide.fields["grace"].parentWidget()
    for spec in engines.engines().values():
        choose(qtbot, ed.engine, spec.name)
        able = Capability.REMOTE_DESTINATIONS in spec.capabilities
        assert remote.isVisibleTo(ed) is able, spec.name
        assert ed.wide.fields["s3_endpoint"].isVisibleTo(ed) is able
        assert watchdog.isVisibleTo(ed)  # any plan's
    assert {s.name for s in engines.engines().values()
            if not s.can(Capability.REMOTE_DESTINATIONS)} == {"borg"}
