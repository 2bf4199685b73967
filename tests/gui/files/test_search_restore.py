"""The Files pane and Compare, end to end in the real main window: real archive backups made by
core into the test's home, a person typing, clicking and answering the dialogs."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from core.config import AppPaths
from core.jobs.run import run_plan
from core.plans import add_plan
from gui.panes.files.dialog import VersionRestoreDialog
from tests.gui.backups.person import (
    OFFSCREEN,
    button,
    click,
    click_row,
    open_pane,
    type_text,
    when_dialog,
)

V1 = b"quarterly report, first draft\n"
V2 = b"quarterly report, second draft with more words\n"


@pytest.fixture
def two_backups(catalogue, home, tmp_path):
    """Plan "docs" (sources Docs and Photos): a full, then an incremental in which
    Docs/report.txt changed, Photos/dog.jpg was added and Docs/old.txt deleted."""
    docs, photos = tmp_path / "src" / "Docs", tmp_path / "src" / "Photos"
    docs.mkdir(parents=True)
    photos.mkdir()
    (docs / "report.txt").write_bytes(V1)
    (docs / "old.txt").write_bytes(b"old\n")
    (photos / "cat.jpg").write_bytes(os.urandom(5000))
    add_plan(catalogue, "docs", "archive", sources=[str(docs), str(photos)],
             destinations=[str(tmp_path / "dest")], options={"verify_after": False})
    paths = AppPaths.resolve(str(home))
    full = run_plan(catalogue, paths, "docs")
    (docs / "report.txt").write_bytes(V2)
    os.utime(docs / "report.txt", (1_700_000_000, 1_700_000_000))
    (docs / "old.txt").unlink()
    (photos / "dog.jpg").write_bytes(os.urandom(90_000))
    inc = run_plan(catalogue, paths, "docs")
    assert (full.status, inc.status) == ("success", "success")
    return full.backup_id, inc.backup_id


def search(qtbot, window, text):
    pane = open_pane(qtbot, window, "Files")
    type_text(qtbot, pane.search_edit, text)
    qtbot.waitUntil(lambda: pane.task is None and pane.model.rowCount() > 0, timeout=20000)
    return pane


def restore_version(qtbot, pane, number, folder, *, answer_box=None):
    """Click the version's Restore…, type the folder, press Restore; wait for the outcome."""
    def answer(dlg):
        type_text(qtbot, dlg.folder.edit, str(folder))
        click(qtbot, button(dlg, "Restore"))

    when_dialog(qtbot, answer, VersionRestoreDialog)
    if answer_box is not None:
        when_dialog(qtbot, answer_box, QMessageBox)
    click(qtbot, pane.restore_buttons()[number - 1])


@OFFSCREEN
def test_find_a_file_and_restore_each_version(qtbot, window, two_backups, tmp_path):
    pane = search(qtbot, window, "REPort")  # a bare word: part of a name, in any case
    assert [pane.model.cell(r, 0) for r in range(pane.model.rowCount())] == ["Docs/report.txt"]
    click_row(qtbot, pane.hits, pane.model.index(0, 0))
    assert pane.versions.rowCount() == 2  # the timeline: oldest first
    assert pane.versions.item(0, 1).text() == f"{len(V1)} B"
    assert pane.versions.item(1, 1).text() == f"{len(V2)} B"
    assert pane.versions.item(1, 2).text() == "2023-11-14 22:13:20"  # mtime, UTC
    assert "#1" in pane.versions.item(0, 3).text() and "#2" in pane.versions.item(1, 4).text()

    first = tmp_path / "v1"
    restore_version(qtbot, pane, 1, first)
    qtbot.waitUntil(lambda: pane.message.property("level") == "ok", timeout=60000)
    assert "version 1 of 2" in pane.message.text()
    assert (first / "Docs" / "report.txt").read_bytes() == V1
    assert [p.name for p in first.rglob("*") if p.is_file()] == ["report.txt"]


@OFFSCREEN
def test_restore_into_a_folder_with_files_asks_first(qtbot, window, two_backups, tmp_path):
    target = tmp_path / "here"
    (target / "Docs").mkdir(parents=True)
    (target / "Docs" / "report.txt").write_bytes(b"mine\n")
    pane = search(qtbot, window, "*.txt")
    row = next(r for r in range(pane.model.rowCount())
               if pane.model.cell(r, 0) == "Docs/report.txt")
    click_row(qtbot, pane.hits, pane.model.index(row, 0))
    asked = []

    def say_no(box):
        asked.append(box.text())
        click(qtbot, box.button(QMessageBox.StandardButton.No))
        QTimer.singleShot(200, cancel_restore)

    def cancel_restore():
        dlg = next(w for w in pane.findChildren(VersionRestoreDialog) if w.isVisible())
        asked.append(dlg.problem.text())
        click(qtbot, button(dlg, "Cancel"))

    restore_version(qtbot, pane, 2, target, answer_box=say_no)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=20000)
    assert "is not empty" in asked[0] and "is not empty" in asked[1]
    assert (target / "Docs" / "report.txt").read_bytes() == b"mine\n"  # untouched

    restore_version(qtbot, pane, 2, target,
                    answer_box=lambda box: click(qtbot,
                                                 box.button(QMessageBox.StandardButton.Yes)))
    qtbot.waitUntil(lambda: pane.message.property("level") == "ok", timeout=60000)
    assert (target / "Docs" / "report.txt").read_bytes() == V2


@OFFSCREEN
def test_a_search_for_nothing_says_so(qtbot, window, two_backups):
    pane = open_pane(qtbot, window, "Files")
    type_text(qtbot, pane.search_edit, "nosuchfile")
    qtbot.waitUntil(lambda: pane.task is None and pane.message.isVisible(), timeout=20000)
    assert "No file" in pane.message.text() and pane.model.rowCount() == 0


def test_compare_two_backups(qtbot, window, two_backups):
    full, inc = two_backups
    pane = open_pane(qtbot, window, "Backups")
    qtbot.waitUntil(lambda: len(pane.model.items) == 2, timeout=20000)
    assert not pane.compare_button.isEnabled()
    click_row(qtbot, pane.tree, pane.model.index_of(full))
    click_row(qtbot, pane.tree, pane.model.index_of(inc), Qt.KeyboardModifier.ControlModifier)
    click(qtbot, pane.compare_button)
    dlg = pane.handlers.compare_dialog
    qtbot.waitUntil(lambda: dlg.diff is not None, timeout=30000)
    rows = [dlg.model.row(r)[:4] for r in range(dlg.model.rowCount())]
    assert rows == [["added", "Photos/dog.jpg", "", "87.9 KiB"],
                    ["changed", "Docs/report.txt", f"{len(V1)} B", f"{len(V2)} B"],
                    ["deleted", "Docs/old.txt", "4 B", ""]]
    assert f"From backup {full}" in dlg.summary.text().replace("<b>", "").replace("</b>", "")
    folders = [dlg.folders.cell(r, 0) for r in range(dlg.folders.rowCount())]
    assert folders == ["Photos", "Docs"]  # the biggest first
    dlg.close()


def test_job_details_show_the_change_summary(qtbot, window, two_backups):
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=20000)
    click_row(qtbot, pane.table, pane.model.index(0, 0))  # the newest: the incremental
    qtbot.waitUntil(lambda: "Changes" in pane.detail.summary.text(), timeout=20000)
    text = pane.detail.summary.text()
    assert "1 file added, 1 changed, 1 deleted, 1 unchanged" in text
    assert text.index("Photos: +87.9 KiB") < text.index("Docs: +")


def test_compare_shows_a_big_diff_through_its_model(qtbot):
    """200,000 changed rows: a model read when drawn, no widget per row."""
    from core.backups import BackupInfo
    from core.findex.diff import Diff
    from core.findex.store import VersionRow
    from gui.panes.backups.compare import DiffModel, table

    n = 200_000
    info = BackupInfo.__new__(BackupInfo)
    d = Diff(info, info, added=[VersionRow(f"big/f{i:06}".encode(), i, 1, None, i, 10**18, None)
                                for i in range(n)])
    model = DiffModel()
    view = table(model)
    qtbot.addWidget(view)
    model.set_diff(d)
    view.show()
    assert model.rowCount() == n
    assert model.row(n - 1)[:2] == ["added", f"big/f{n - 1:06}"]
    assert view.indexWidget(model.index(0, 0)) is None


@OFFSCREEN
def test_find_and_restore_from_borg_archives(qtbot, window, app_ctx, tmp_path, monkeypatch):
    """Two real borg archives (borg create runs outside the window); the older version of a
    file is found and restored by clicks."""
    from core.jobs.repository import run_plan as run_borg_plan
    from core.jobs.repository import setup_repository

    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    src = tmp_path / "src" / "Documents"
    src.mkdir(parents=True)
    (src / "Plan.txt").write_bytes(V1)
    plan = add_plan(app_ctx.catalogue, "vault", "borg", sources=[str(src)], destinations=[],
                    options={"repository": str(tmp_path / "repo"), "encryption": "none"})
    paths = app_ctx.config.paths
    setup_repository(app_ctx.catalogue, paths, plan, create=True)
    assert run_borg_plan(app_ctx.catalogue, paths, plan).status == "success"
    (src / "Plan.txt").write_bytes(V2)
    assert run_borg_plan(app_ctx.catalogue, paths, plan).status == "success"

    pane = search(qtbot, window, "plan")
    assert pane.model.rowCount() == 1 and pane.model.cell(0, 1) == "vault"
    click_row(qtbot, pane.hits, pane.model.index(0, 0))
    assert pane.versions.rowCount() == 2
    out = tmp_path / "out"
    restore_version(qtbot, pane, 1, out)
    qtbot.waitUntil(lambda: pane.message.property("level") in ("ok", "error", "warning"),
                    timeout=60000)
    assert pane.message.property("level") == "ok", pane.message.text()
    restored = [p for p in out.rglob("Plan.txt")]
    assert [p.read_bytes() for p in restored] == [V1]


@OFFSCREEN
def test_a_search_shown_runs_again_when_a_job_ends(qtbot, window, two_backups, catalogue,
                                                   home, tmp_path):
    pane = search(qtbot, window, "*.txt")
    row = next(r for r in range(pane.model.rowCount())
               if pane.model.cell(r, 0) == "Docs/report.txt")
    click_row(qtbot, pane.hits, pane.model.index(row, 0))
    assert pane.versions.rowCount() == 2
    pane.search_edit.setFocus()
    # A third backup (as the window's scheduler runs one) with a new file that sorts first.
    docs = tmp_path / "src" / "Docs"
    (docs / "aaa.txt").write_bytes(b"new\n")
    (docs / "report.txt").write_bytes(V1 + V2)
    assert run_plan(catalogue, AppPaths.resolve(str(home)), "docs").status == "success"
    pane.ctx.jobs_changed.emit()  # what the window's scheduler says when a job ends
    qtbot.waitUntil(lambda: pane.task is None and "Docs/aaa.txt" in
                    [pane.model.cell(r, 0) for r in range(pane.model.rowCount())],
                    timeout=20000)
    assert pane.model.cell(pane.hits.currentIndex().row(), 0) == "Docs/report.txt"  # kept
    assert pane.versions.rowCount() == 3 and pane.search_edit.hasFocus()
    assert pane.model.cell(0, 0) == "Docs/aaa.txt"
