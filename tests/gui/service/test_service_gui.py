"""The window and the background service: the status bar and Settings show whether it runs
and warn when scheduled plans have nothing to run them; Start/Stop start and stop the real
process; the tray backs up now and asks on Quit whether the service stops too."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from core.cli.main import main
from core.service import running_pid


@pytest.fixture
def plans(home, tmp_path):
    for name in ("docs", "photos"):
        src = tmp_path / name
        src.mkdir()
        (src / "a.txt").write_text(name)
        extra = ["--schedule", "daily at 03:00"] if name == "docs" else []
        assert main(["plan", "add", name, "--engine", "archive", "--source", str(src),
                     "--dest", str(tmp_path / f"{name}-dest"), *extra]) == 0


@pytest.fixture
def stop_service(app_ctx):
    yield
    if running_pid(app_ctx.config.paths) is not None:
        from core.service_control import stop

        stop(app_ctx.config)


def test_status_bar_warns_and_settings_start_and_stop_the_service(
        qtbot, window, app_ctx, plans, stop_service) -> None:
    from gui.panes.settings.service_box import ServiceBox
    from gui.service_watch import ServiceIndicator

    indicator = ServiceIndicator(app_ctx)
    window.statusBar().addPermanentWidget(indicator)
    qtbot.waitUntil(lambda: indicator.text() != "", timeout=15000)
    assert indicator.text() == ("⚠ Background service stopped: 1 scheduled plan will not run "
                                "once this window closes. Start it in Settings.")

    pane = window.show_pane("settings")
    tab = [pane.tabs.tabText(i) for i in range(pane.tabs.count())].index("Background service")
    pane.tabs.setCurrentIndex(tab)
    box = pane.tabs.currentWidget()
    assert isinstance(box, ServiceBox)
    qtbot.waitUntil(box.start_button.isEnabled, timeout=15000)
    assert "1 plan with a schedule: nothing runs it once this window closes" in box.state.text()

    qtbot.mouseClick(box.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.stop_button.isEnabled(), timeout=30000)
    pid = running_pid(app_ctx.config.paths)
    assert pid is not None and f"process {pid}" in box.state.text()
    assert box.message.text() == "Background service started as a background process."
    assert indicator.text() == "● Background service running"

    qtbot.mouseClick(box.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.start_button.isEnabled(), timeout=60000)
    assert running_pid(app_ctx.config.paths) is None
    assert box.message.text() == "Background service stopped."


def _answer(button_text: str) -> None:
    def answer() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMessageBox) and w.isVisible():
                for b in w.buttons():
                    if b.text() == button_text:
                        b.click()
                        return
        QTimer.singleShot(50, answer)

    QTimer.singleShot(50, answer)


def test_tray_backs_up_now_and_asks_on_quit(qtbot, window, app_ctx, plans, stop_service,
                                            monkeypatch) -> None:
    from core.service_control import start
    from gui import tray as tray_mod
    from gui.service_watch import service_watch

    tray = tray_mod.Tray(app_ctx, window)
    tray.refresh()
    qtbot.waitUntil(lambda: tray.plans == ["docs", "photos"], timeout=15000)
    labels = [a.text() for a in tray.backup_menu.actions() if not a.isSeparator()]
    assert labels == ["All plans", "docs", "photos"]
    photos = next(a for a in tray.backup_menu.actions() if a.text() == "photos")
    with qtbot.waitSignal(app_ctx.jobs_changed, timeout=30000):
        photos.trigger()
    qtbot.waitUntil(lambda: tray.state_action.text().startswith("Last backup: photos success"),
                    timeout=60000)

    quits: list[bool] = []
    monkeypatch.setattr(tray_mod.QApplication, "quit", lambda: quits.append(True))
    start(app_ctx.config)
    watch = service_watch(app_ctx)
    watch.refresh()
    qtbot.waitUntil(lambda: watch.status is not None and watch.status.running, timeout=15000)
    _answer("Cancel")
    tray.quit()
    assert quits == [] and not app_ctx.property("stop_service_on_quit")
    _answer("Quit and stop the service")
    tray.quit()
    assert quits == [True] and app_ctx.property("stop_service_on_quit")


def test_closing_the_window_leaves_scheduled_work_to_the_service(app_ctx, plans,
                                                                 stop_service) -> None:
    from gui.app import _on_exit

    assert running_pid(app_ctx.config.paths) is None
    _on_exit(app_ctx)  # run_app calls it once the window has closed
    assert running_pid(app_ctx.config.paths) is not None


@pytest.fixture
def farm():
    from tests.core.grid.daemons import DaemonFarm

    f = DaemonFarm().start()
    yield f
    f.stop()


def test_devices_poll_and_alert_from_start_up_without_opening_the_pane(
        qtbot, window, app_ctx, farm) -> None:
    from core.grid.nodes import NodeSpec, add_node
    from gui.app import _poll_devices_from_start
    from tests.core.grid.daemons import Behaviour, mysql_body, rsync_body

    m = farm.add(Behaviour(body=mysql_body(40)))
    r = farm.add(Behaviour(body=rsync_body(40)))
    add_node(app_ctx.catalogue, NodeSpec("lab", mysql_url=m, rsync_url=r))
    notes: list[str] = []
    app_ctx.notify.connect(lambda t, _m: notes.append(t))  # no session bus here: the fallback
    shown = window.stack.currentIndex()
    _poll_devices_from_start(app_ctx, window)
    qtbot.waitUntil(lambda: window.pane("devices") is not None, timeout=15000)
    pane = window.pane("devices")
    assert window.stack.currentIndex() == shown and window.stack.currentWidget() is not pane
    qtbot.waitUntil(lambda: pane.model.rowCount() == 40, timeout=30000)
    for url in (m, r):
        farm.set(url, Behaviour(body={"detail": "maintenance"}, status=503))
    with qtbot.waitSignal(app_ctx.notify, timeout=30000):
        pane.controller.refresh()
    with qtbot.waitSignal(pane.controller.batch_ready, timeout=30000):
        pane.controller.refresh()
    qtbot.wait(500)
    assert notes == ["40 devices on lab are offline"]
    pane.shutdown()


def test_first_run_sets_the_service_up_once_after_the_welcome(qtbot, window, app_ctx,
                                                              stop_service) -> None:
    from core.service_control import FIRST_RUN_MARK, stop
    from gui.app import _set_up_service_after_welcome

    paths = app_ctx.config.paths
    _set_up_service_after_welcome(app_ctx, window, None)  # no welcome was needed
    qtbot.waitUntil(lambda: running_pid(paths) is not None, timeout=30000)
    qtbot.waitUntil(lambda: "Background service started" in window.statusBar().currentMessage(),
                    timeout=10000)
    assert (paths.state_dir / FIRST_RUN_MARK).exists()
    stop(app_ctx.config)  # the user stops it: a later start of the window leaves it stopped
    _set_up_service_after_welcome(app_ctx, window, None)
    qtbot.wait(1500)
    assert running_pid(paths) is None


def test_a_notification_action_opens_the_job_and_retry_runs_its_plan(
        qtbot, window, app_ctx, plans) -> None:
    from core.catalogue.jobs import finish_job, start_job
    from gui.single_instance import InstanceServer, forward_to_running, server_name, show_message

    jid = start_job(app_ctx.catalogue, engine="archive", kind="backup", plan_name="photos")
    finish_job(app_ctx.catalogue, jid, "failed")
    server = InstanceServer(server_name(app_ctx.config), window)
    assert server.listen()
    from gui.notifier import open_job

    server.job_requested.connect(lambda job, retry: open_job(app_ctx, window, job, retry=retry))
    window.hide()
    with qtbot.waitSignal(server.job_requested, timeout=10000) as got:
        assert forward_to_running(server.name, message=show_message(jid, retry=True))
    assert got.args == [jid, True]
    qtbot.waitUntil(window.isVisible, timeout=10000)
    history = window.pane("history")
    assert window.stack.currentWidget() is history
    assert history._shown_job == jid  # its detail (log, error) is what the pane shows
    from core.catalogue.history import last_backup

    qtbot.waitUntil(lambda: (lambda b: b is not None and b.id != jid
                             and b.status == "success")(last_backup(app_ctx.catalogue)),
                    timeout=60000)
    server.close()
