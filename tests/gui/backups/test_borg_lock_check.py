"""Borg in the Backups pane: a repository locked by another process (busy, Retry), Break lock
after confirmation, and Check (a verify job). Locks are held by a real `borg with-lock`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from core.catalogue.schema import Job
from gui.panes.backups.pane import BackupsPane
from tests.core.helpers import orm_session

pytestmark = pytest.mark.skipif(shutil.which("borg") is None, reason="needs the borg binary")


def hold_lock(qtbot, repo: Path) -> subprocess.Popen[bytes]:
    """Another borg process holding the repository's lock until its stdin closes."""
    env = {**os.environ, "BORG_PASSPHRASE": "pw"}
    proc = subprocess.Popen(["borg", "with-lock", str(repo), "cat"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    qtbot.waitUntil(lambda: any((repo / "lock.exclusive").glob("*")), timeout=30000)
    return proc


def release(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


def move_lock_elsewhere(repo: Path) -> None:
    """borg removes the lock of a dead process of this host by itself: a stale lock that
    needs break-lock is one left by a borg killed on another computer, so the killed
    process's lock is renamed to another host's (the only edit of borg's files here)."""
    lock = next((repo / "lock.exclusive").glob("*"))
    host = lock.name.rsplit(".", 1)[0]  # HOST.PID-THREAD
    lock.rename(lock.with_name(lock.name.replace(host, "elsewhere@1", 1)))
    roster = repo / "lock.roster"
    roster.write_text(roster.read_text().replace(host, "elsewhere@1"))


def jobs(cat, kind: str) -> list[Job]:
    with orm_session(cat) as s:
        return list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def test_busy_run_offers_retry(qtbot, borg_pane, tmp_path):
    pane = borg_pane
    runs, bar = pane.runs, pane.run_bar
    proc = hold_lock(qtbot, tmp_path / "repo")
    try:
        with qtbot.waitSignal(runs.finished, timeout=60000) as blocker:
            runs.start("vault")
        assert blocker.args[1].status == "failed"
        assert bar.outcome.text().startswith("Repository busy: The repository ")
        assert not bar.retry_button.isHidden()
    finally:
        release(proc)
    with qtbot.waitSignal(runs.finished, timeout=60000) as blocker:
        bar.retry_button.click()
    assert blocker.args[1].status == "success"
    assert bar.retry_button.isHidden() and "success" in bar.outcome.text()


def test_busy_check_offers_retry_and_lands_in_history(qtbot, borg_pane, tmp_path):
    pane = borg_pane
    assert pane.check_button.isEnabled() and pane.break_lock_button.isEnabled()
    proc = hold_lock(qtbot, tmp_path / "repo")
    try:
        with qtbot.waitSignal(pane.ops.failed, timeout=60000):
            pane.check_repo.trigger()
        assert pane.run_bar.outcome.text().startswith("Repository busy: ")
        assert not pane.run_bar.retry_button.isHidden()
    finally:
        release(proc)
    with qtbot.waitSignal(pane.ops.done, timeout=60000):
        pane.run_bar.retry_button.click()
    assert "has no problems" in pane.message.text()
    with qtbot.waitSignal(pane.ops.done, timeout=120000):
        pane.check_data.trigger()
    assert "repository and archive data has no problems" in pane.message.text()
    done = [(j.status, j.error is None, (j.details or {}).get("verify_data"))
            for j in jobs(pane.ctx.catalogue, "verify")]
    assert done == [("failed", False, False), ("success", True, False),
                    ("success", True, True)]


def test_stale_lock_is_broken_after_confirmation(qtbot, borg_pane, tmp_path, monkeypatch):
    pane = borg_pane
    repo = tmp_path / "repo"
    proc = hold_lock(qtbot, repo)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    move_lock_elsewhere(repo)
    with qtbot.waitSignal(pane.runs.finished, timeout=60000) as blocker:
        pane.runs.start("vault")
    assert blocker.args[1].status == "failed"
    assert pane.run_bar.outcome.text().startswith("Repository busy: ")

    asked: list[QMessageBox] = []

    def answer(yes: bool):
        def run(box: QMessageBox) -> int:
            asked.append(box)
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
            assert "no borg process uses the repository" in box.informativeText()
            if yes:
                box.button(QMessageBox.StandardButton.Yes).click()
            return 0
        return run

    monkeypatch.setattr(pane, "exec_dialog", answer(False))
    pane.break_lock_button.click()
    assert len(asked) == 1 and not pane.ops.busy
    assert any((tmp_path / "repo" / "lock.exclusive").glob("*"))

    monkeypatch.setattr(pane, "exec_dialog", answer(True))
    with qtbot.waitSignal(pane.ops.done, timeout=60000):
        pane.break_lock_button.click()
    assert pane.message.text().startswith("Broke the lock of ")
    with qtbot.waitSignal(pane.runs.finished, timeout=60000) as blocker:
        pane.run_bar.retry_button.click()
    assert blocker.args[1].status == "success"


def test_check_and_break_lock_need_a_borg_backup(qtbot, app_ctx, backups):
    pane = BackupsPane(app_ctx)
    qtbot.addWidget(pane)
    qtbot.waitUntil(lambda: len(pane.model.items) == 2, timeout=10000)
    pane.select(pane.model.items[0].id)
    assert pane.current() is not None
    assert not pane.check_button.isEnabled() and not pane.break_lock_button.isEnabled()
