"""The first-run welcome with Borg: passphrase asked twice, borg init through the plan editor's
setup function, the plan removed again when init fails. Uses the real borg binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.catalogue.history import last_backup
from core.config import AppPaths
from core.engines.borg.repo import passphrase_key as borg_passphrase_key
from core.errors import NotFoundError
from core.plans import get_plan, list_plans
from core.secrets import FORCE_FILE_ENV, SecretStore
from gui.firstrun import first_run_suggestion, passphrase_problem, runnable_engines, suggest
from gui.welcome import WelcomeDialog, start_plan
from tests.gui.firstrun.test_welcome import make_sources

pytestmark = pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")

SECRET = "correct horse battery"


@pytest.fixture(autouse=True)
def secrets_file(monkeypatch):
    monkeypatch.setenv(FORCE_FILE_ENV, "1")  # no OS keyring here: the 0600 file fallback


def borg_dialog(qtbot, app_ctx, tmp_path: Path) -> WelcomeDialog:
    make_sources(tmp_path)
    s = suggest(tmp_path, runnable_engines(), [])
    dlg = WelcomeDialog(app_ctx, s)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_borg_is_offered_when_installed(qtbot, app_ctx, tmp_path: Path) -> None:
    assert runnable_engines()[0] == "borg" and shutil.which("borg")
    s = first_run_suggestion(app_ctx.catalogue, app_ctx.config.paths)
    assert s is not None and s.engine == "borg" and "archive" in s.runnable
    dlg = borg_dialog(qtbot, app_ctx, tmp_path)
    assert dlg.kinds["borg"].isEnabled() and dlg.kinds["borg"].isChecked()
    assert dlg.passphrase.isVisible() and dlg.passphrase_again.isVisible()
    assert dlg.passphrase.echoMode() == dlg.passphrase.EchoMode.Password
    assert "cannot be read" in dlg.passphrase_note.text()
    dlg.kinds["archive"].setChecked(True)
    assert not dlg.passphrase.isVisible()


def test_passphrase_rules() -> None:
    assert "at least 8" in passphrase_problem("short", "short")
    assert "differ" in passphrase_problem("long enough", "long enougH")
    assert passphrase_problem("long enough", "long enough") is None


def test_a_short_or_mistyped_passphrase_creates_nothing(qtbot, app_ctx, tmp_path: Path) -> None:
    dlg = borg_dialog(qtbot, app_ctx, tmp_path)
    dlg.passphrase.setText("1234567")
    dlg.passphrase_again.setText("1234567")
    dlg.create_only.click()
    assert dlg.error.isVisible() and "at least 8" in dlg.error.text()
    dlg.passphrase.setText(SECRET)
    dlg.passphrase_again.setText(SECRET + "!")
    dlg.create_only.click()
    assert "differ" in dlg.error.text()
    assert dlg.run_now.isEnabled() and list_plans(app_ctx.catalogue) == []


def test_create_inits_a_repokey_repository(qtbot, app_ctx, home, tmp_path: Path) -> None:
    dlg = borg_dialog(qtbot, app_ctx, tmp_path)
    dlg.passphrase.setText(SECRET)
    dlg.passphrase_again.setText(SECRET)
    with qtbot.waitSignal(dlg.created, timeout=60000) as sig:
        dlg.create_only.click()
    assert sig.args == ["Documents", False]
    repo = tmp_path / "Backups" / "backupdesk.borg"
    assert (repo / "config").is_file()
    out = subprocess.run([sys.executable, "-m", "core", "--home", str(home), "plan", "show",
                          "Documents", "--json"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, FORCE_FILE_ENV: "1"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["engine"] == "borg" and data["destinations"] == []
    assert data["options"]["repository"] == str(repo)
    assert data["options"]["encryption"] == "repokey"
    assert [s["expression"] for s in data["schedules"]] == ["30 12 * * *"]
    assert SECRET not in out.stdout
    store = SecretStore(AppPaths.resolve(str(home)))
    assert store.get(borg_passphrase_key(data["id"])) == SECRET
    # the repository really is encrypted with that passphrase
    info = subprocess.run(["borg", "info", "--json", str(repo)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "BORG_PASSPHRASE": SECRET,
                               "BORG_BASE_DIR": str(tmp_path / "borgbase")})
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["encryption"]["mode"] == "repokey"


def test_failed_init_removes_the_plan_and_shows_why(qtbot, app_ctx, home,
                                                    tmp_path: Path) -> None:
    repo = tmp_path / "Backups" / "backupdesk.borg"
    repo.mkdir(parents=True)
    (repo / "someone else's file").write_text("not a repository\n")
    dlg = borg_dialog(qtbot, app_ctx, tmp_path)
    dlg.passphrase.setText(SECRET)
    dlg.passphrase_again.setText(SECRET)
    dlg.create_only.click()
    qtbot.waitUntil(lambda: dlg.error.isVisible() and dlg.run_now.isEnabled(), timeout=60000)
    assert dlg.error.text()
    assert list_plans(app_ctx.catalogue) == []
    with pytest.raises(NotFoundError):
        get_plan(app_ctx.catalogue, "Documents")
    store = SecretStore(AppPaths.resolve(str(home)))
    assert all(store.get(borg_passphrase_key(i)) is None for i in range(1, 5))
    assert (repo / "someone else's file").read_text() == "not a repository\n"


def test_create_and_run_now_makes_a_borg_backup(qtbot, app_ctx, tmp_path: Path) -> None:
    from gui.run_controller import run_controller

    dlg = borg_dialog(qtbot, app_ctx, tmp_path)
    dlg.created.connect(lambda name, run: start_plan(app_ctx, name, run))
    dlg.passphrase.setText(SECRET)
    dlg.passphrase_again.setText(SECRET)
    rc = run_controller(app_ctx)
    with qtbot.waitSignal(rc.finished, timeout=120000) as sig:
        dlg.run_now.click()
    assert sig.args[1].status == "success", sig.args[1]
    last = last_backup(app_ctx.catalogue)
    assert last is not None and last.plan == "Documents" and last.status == "success"
