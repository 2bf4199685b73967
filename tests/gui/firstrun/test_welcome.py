from pathlib import Path

from core.catalogue.history import last_backup
from core.plans import list_plans
from gui.firstrun import MARKER, first_run_suggestion, suggest
from gui.welcome import WelcomeDialog, start_plan


def make_sources(tmp_path: Path) -> Path:
    src = tmp_path / "Documents"
    (src / "notes").mkdir(parents=True)
    (src / "report.txt").write_text("quarterly figures\n")
    (src / "notes" / "todo.md").write_text("- back up\n")
    return src


def test_suggests_documents_and_the_engine(tmp_path: Path) -> None:
    make_sources(tmp_path)
    s = suggest(tmp_path, ("archive",), [])
    assert s.sources == [str(tmp_path / "Documents")]
    assert s.destination == str(tmp_path / "Backups")
    assert s.engine == "archive"
    assert suggest(tmp_path, ("borg", "archive"), []).engine == "borg"
    media = tmp_path / "media" / "USB"
    media.mkdir(parents=True)
    far = suggest(tmp_path / "nowhere", ("archive",), [media])
    assert far.destination == str(media / "Backups")
    assert suggest(tmp_path / "nowhere", ("archive",), []).sources == []  # never the home itself


def test_localised_documents_folder(tmp_path: Path) -> None:
    (tmp_path / ".config").mkdir()
    (tmp_path / "Dokumente").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text(
        '# written by xdg-user-dirs-update\nXDG_DOCUMENTS_DIR="$HOME/Dokumente"\n')
    s = suggest(tmp_path, ("archive",), [])
    assert (s.name, s.sources) == ("Dokumente", [str(tmp_path / "Dokumente")])


def test_welcome_only_on_an_empty_catalogue(app_ctx) -> None:
    cat, paths = app_ctx.catalogue, app_ctx.config.paths
    assert first_run_suggestion(cat, paths) is not None
    (paths.config_dir / MARKER).write_text("x")
    assert first_run_suggestion(cat, paths) is None


def dialog(qtbot, app_ctx, tmp_path: Path) -> WelcomeDialog:
    s = suggest(tmp_path, ("archive",), [])
    dlg = WelcomeDialog(app_ctx, s)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_create_makes_a_daily_archive_plan(qtbot, app_ctx, tmp_path: Path) -> None:
    src = make_sources(tmp_path)
    dlg = dialog(qtbot, app_ctx, tmp_path)
    dlg.time.setTime(dlg.time.time().fromString("09:15", "HH:mm"))
    with qtbot.waitSignal(dlg.created, timeout=10000) as sig:
        dlg.create_only.click()
    assert sig.args == ["Documents", False]
    plans = list_plans(app_ctx.catalogue)
    assert [(p.name, p.engine, p.sources) for p in plans] == [("Documents", "archive", [str(src)])]
    assert [d.location for d in plans[0].destinations] == [str(tmp_path / "Backups")]
    assert [s.expression for s in plans[0].schedules] == ["15 9 * * *"]
    assert (tmp_path / "Backups").is_dir()
    assert first_run_suggestion(app_ctx.catalogue, app_ctx.config.paths) is None


def test_run_now_makes_a_first_backup(qtbot, app_ctx, tmp_path: Path) -> None:
    from gui.run_controller import run_controller

    make_sources(tmp_path)
    dlg = dialog(qtbot, app_ctx, tmp_path)
    dlg.created.connect(lambda name, run: start_plan(app_ctx, name, run))
    rc = run_controller(app_ctx)
    with qtbot.waitSignal(rc.finished, timeout=60000) as sig:
        dlg.run_now.click()
    assert sig.args[1].status == "success"
    last = last_backup(app_ctx.catalogue)
    assert last is not None and last.plan == "Documents" and last.status == "success"
    assert any((tmp_path / "Backups").rglob("*")), "the archive is on disk"


def test_a_bad_destination_is_reported_in_the_dialog(qtbot, app_ctx, tmp_path: Path) -> None:
    make_sources(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    dlg = dialog(qtbot, app_ctx, tmp_path)
    dlg.destination.setText(str(blocker / "Backups"))
    dlg.create_only.click()
    qtbot.waitUntil(lambda: dlg.error.isVisible() and dlg.run_now.isEnabled(), timeout=10000)
    assert dlg.error.text()
    assert list_plans(app_ctx.catalogue) == []


def test_not_now_is_remembered(qtbot, app_ctx, tmp_path: Path) -> None:
    dlg = dialog(qtbot, app_ctx, tmp_path)
    dlg.not_now.click()
    marker = app_ctx.config.paths.config_dir / MARKER
    qtbot.waitUntil(marker.exists, timeout=10000)
    assert first_run_suggestion(app_ctx.catalogue, app_ctx.config.paths) is None


def test_offered_on_an_empty_catalogue_only(qtbot, window, tmp_path: Path) -> None:
    from core.plans import add_plan
    from gui.welcome import offer_welcome

    offer_welcome(window.ctx, window)
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is not None, timeout=10000)
    dlg = window.findChild(WelcomeDialog)
    assert dlg.isVisible() and dlg.windowTitle() == "Welcome to Backup Desk"
    dlg.close()
    dlg.deleteLater()
    qtbot.waitUntil(lambda: window.findChild(WelcomeDialog) is None, timeout=10000)
    src = make_sources(tmp_path)
    add_plan(window.ctx.catalogue, "p", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "Backups")])
    assert offer_welcome(window.ctx, window) is not None
    qtbot.waitUntil(lambda: not window.ctx.workers.busy(), timeout=10000)  # outcome delivered
    assert window.findChild(WelcomeDialog) is None
