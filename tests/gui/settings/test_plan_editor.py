"""The Settings pane's plan editor, against the real catalogue, secret store and CLI."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from core.config import AppPaths
from core.engines.borg.repo import passphrase_key as borg_passphrase_key
from core.plans import get_plan
from core.secrets import FORCE_FILE_ENV, SecretStore, db_secret_key
from gui.panes.settings.pane import SettingsPane


@pytest.fixture
def pane(qtbot, app_ctx, monkeypatch):
    monkeypatch.setenv(FORCE_FILE_ENV, "1")  # no OS keyring here: the 0600 file fallback
    p = SettingsPane(app_ctx)
    qtbot.addWidget(p)
    return p


def plan_show(home, name):
    out = subprocess.run([sys.executable, "-m", "core", "--home", str(home), "plan", "show",
                          name, "--json"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, FORCE_FILE_ENV: "1"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def show_plan(qtbot, pane, name):
    pane.plans.reload()
    qtbot.waitUntil(lambda: name in [p["name"] for p in pane.plans.plans], timeout=10000)
    pane.plans.select(name)
    assert pane.editor.original == name


def save(qtbot, editor):
    with qtbot.waitSignal(editor.saved, timeout=20000):
        editor.save_button.click()


def test_new_archive_plan_has_every_option(qtbot, pane, home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "notes.txt").write_text("n\n")
    ed = pane.editor
    pane.plans.new()
    ed.name.setText("docs")
    ed.sources.add([str(src), str(tmp_path / "notes.txt")])
    ed.excludes.setPlainText("*.tmp\ncache\n")
    ed.schedule.set_text("weekly at 04:15")
    ed.enabled.setChecked(False)
    a = ed.archive
    a.include.setCurrentIndex(a.include.findData("files"))
    a.databases.add_row("sqlite:///srv/app.db")
    a.databases.add_row("postgresql://backup:s3cret@db.example:5433/sales")
    a.databases.add_row("mysql://root@127.0.0.1:3306/shop")
    a.compression.setCurrentText("gzip")
    a.level.setValue(7)
    a.destinations.add_row(str(tmp_path / "d1"))
    a.destinations.add_row(str(tmp_path / "d2"))
    a.full_every.setValue(4)
    a.verify_after.setChecked(False)
    save(qtbot, ed)
    data = plan_show(home, "docs")
    assert data["engine"] == "archive" and data["enabled"] is False
    assert data["sources"] == [str(src), str(tmp_path / "notes.txt")]
    assert data["excludes"] == ["*.tmp", "cache"]
    assert [d["location"] for d in data["destinations"]] == [str(tmp_path / "d1"),
                                                              str(tmp_path / "d2")]
    assert [s["expression"] for s in data["schedules"]] == ["15 4 * * 0"]
    assert data["options"] == {
        "include": "files", "compression": "gzip:7", "full_every": 4, "verify_after": False,
        "databases": ["sqlite:///srv/app.db", "postgresql://backup@db.example:5433/sales",
                      "mysql://root@127.0.0.1:3306/shop"]}
    store = SecretStore(AppPaths.resolve(str(home)))
    assert store.get(db_secret_key(data["id"], "postgresql://backup@db.example:5433/sales")) \
        == "s3cret"
    assert "s3cret" not in json.dumps(data)
    # the keyring fallback is said once, in the editor
    assert ed.notice.isVisibleTo(ed) and "readable only by you" in ed.notice.text()
    qtbot.waitUntil(lambda: pane.plans.current_name() == "docs", timeout=10000)
    assert "Edit plan docs" in ed.title.text()


def test_editing_a_plan_keeps_passwords_and_changes_options(qtbot, pane, home, tmp_path):
    from core.plans import add_plan

    store = SecretStore(AppPaths.resolve(str(home)))
    plan = add_plan(pane.ctx.catalogue, "docs", "archive", sources=[str(tmp_path / "src")],
                    destinations=[str(tmp_path / "d1")],
                    options={"databases": ["postgresql://u:pw@db.example/sales"]},
                    secrets=store)
    show_plan(qtbot, pane, "docs")
    ed = pane.editor
    assert ed.archive.databases.values() == ["postgresql://u@db.example/sales"]
    ed.archive.compression.setCurrentText("none")
    ed.schedule.set_text("")
    ed.name.setText("documents")
    save(qtbot, ed)
    data = plan_show(home, "documents")
    assert data["id"] == plan.id and data["options"]["compression"] == "none"
    assert data["schedules"] == []
    assert store.get(db_secret_key(plan.id, "postgresql://u@db.example/sales")) == "pw"
    assert not ed.notice.isVisibleTo(ed)  # no new password, no note


def test_destination_checks_flag_bad_folders(qtbot, pane, tmp_path):
    a = pane.editor.archive
    a_file = tmp_path / "a file"
    a_file.write_text("x")
    rows = {}
    for path, ok in ((tmp_path / "new" / "deeper", True), (a_file, False),
                     (a_file / "below", False)):
        with qtbot.waitSignal(a.destinations.checked, timeout=10000,
                              check_params_cb=lambda loc, _ok, p=str(path): loc == p):
            rows[str(path)] = a.destinations.add_row(str(path))
        assert rows[str(path)].ok is ok
    assert "will be created" in rows[str(tmp_path / "new" / "deeper")].status.text()
    assert "is not a folder" in rows[str(a_file)].status.text()
    assert "cannot be created" in rows[str(a_file / "below")].status.text()
    assert not a.destinations.all_ok()
    pane.editor.name.setText("x")
    pane.editor.sources.add([str(tmp_path)])
    with qtbot.waitSignal(pane.editor.failed, timeout=5000):
        pane.editor.save_button.click()
    assert "destination cannot be used" in pane.editor.message.text()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_destination_check_flags_an_unwritable_folder(qtbot, pane, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    a = pane.editor.archive
    with qtbot.waitSignal(a.destinations.checked, timeout=10000):
        row = a.destinations.add_row(str(locked))
    assert row.ok is False and "not writable" in row.status.text()


def test_schedule_field_validates_and_previews(qtbot, pane):
    field = pane.editor.schedule
    field.set_text("daily at 3:30")
    assert field.valid and field.expression() == "30 3 * * *"
    assert field.info.text().count("03:30") == 5
    field.set_text("monthly")
    assert field.expression() == "0 2 1 * *"
    field.set_text("weekly on mon at 04:00")
    assert field.expression() == "0 4 * * 1"
    field.set_text("every other tuesday")
    assert not field.valid and "Invalid schedule" in field.info.text()
    pane.editor.name.setText("x")
    with qtbot.waitSignal(pane.editor.failed, timeout=5000):
        pane.editor.save_button.click()


def test_test_connection_runs_in_a_worker(qtbot, pane, tmp_path):
    db = tmp_path / "app.db"
    sqlite3.connect(db).execute("create table t(x)").connection.commit()
    dbs = pane.editor.archive.databases
    good = dbs.add_row(f"sqlite://{db}")
    bad = dbs.add_row(f"sqlite://{tmp_path}/missing.db")
    with qtbot.waitSignal(dbs.tested, timeout=10000) as blocker:
        dbs.test(good)
    assert blocker.args[1] is True and good.ok and "Connected" in good.status.text()
    with qtbot.waitSignal(dbs.tested, timeout=10000) as blocker:
        dbs.test(bad)
    assert blocker.args[1] is False and bad.ok is False


def test_delete_plan_after_asking(qtbot, pane, tmp_path, monkeypatch):
    from core.errors import NotFoundError
    from core.plans import add_plan

    add_plan(pane.ctx.catalogue, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")])
    show_plan(qtbot, pane, "docs")
    monkeypatch.setattr(pane, "ask", lambda *_: True)
    pane.plans.delete_button.click()
    qtbot.waitUntil(lambda: pane.plans.plans == [], timeout=10000)
    assert pane.editor.original is None
    with pytest.raises(NotFoundError):
        get_plan(pane.ctx.catalogue, "docs")


def test_run_now_from_settings(qtbot, pane, tmp_path):
    from core.plans import add_plan
    from gui.run_controller import run_controller

    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("f")
    add_plan(pane.ctx.catalogue, "docs", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "d")])
    show_plan(qtbot, pane, "docs")
    runs = run_controller(pane.ctx)
    with qtbot.waitSignal(runs.finished, timeout=30000) as blocker:
        pane.plans.run_button.click()
        assert "docs" in pane.run_bar.rows
        pane.plans.run_button.click()  # a second start is refused while it runs
        assert "already running" in pane.run_bar.outcome.text()
    assert blocker.args[1].status == "success"
    assert "success" in pane.run_bar.outcome.text()


def test_other_sections(pane):
    from gui.panes.devices.node_editor import NodeEditor

    titles = [pane.tabs.tabText(i) for i in range(pane.tabs.count())]
    assert titles == ["Plans", "Remote nodes", "Notifications", "Background service",
                      "Where state lives"]
    assert isinstance(pane.nodes, NodeEditor)
    assert type(pane.notifications).__name__ in ("NotificationsBox", "QLabel")
    assert str(pane.ctx.config.paths.log_dir) in pane.storage.label.text()


@pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")
def test_new_borg_plan_inits_the_repository_and_keeps_the_passphrase(qtbot, pane, home,
                                                                      tmp_path):
    ed = pane.editor
    pane.plans.new()
    ed.engine.setCurrentText("borg")
    ed.name.setText("vault")
    ed.sources.add([str(tmp_path)])
    b = ed.borg
    b.repository.setText(str(tmp_path / "repo"))
    b.setup.setCurrentIndex(1)  # borg init
    b.encryption.setCurrentText("repokey")
    b.compression.setCurrentText("zstd")
    b.level.setValue(6)
    b.keep["daily"].setValue(7)
    b.keep["weekly"].setValue(4)
    b.compact.setChecked(False)
    b.passphrase.setText("correct horse")
    b.passphrase_again.setText("correct horse")
    save(qtbot, ed)
    data = plan_show(home, "vault")
    assert data["engine"] == "borg"
    assert data["options"] == {"repository": str(tmp_path / "repo"), "encryption": "repokey",
                               "compression": "zstd,6", "prune": True, "compact": False,
                               "keep": {"daily": 7, "weekly": 4}}
    store = SecretStore(AppPaths.resolve(str(home)))
    assert store.get(borg_passphrase_key(data["id"])) == "correct horse"
    assert (tmp_path / "repo" / "config").is_file()
