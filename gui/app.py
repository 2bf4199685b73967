"""Application start: window first, then the catalogue off the GUI thread."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QSystemTrayIcon

from core.config import AppConfig
from gui import skip_feature_source_scan
from gui.context import AppContext
from gui.errors import install_excepthook
from gui.icons import app_icon
from gui.main_window import MainWindow
from gui.panes import PANES
from gui.panes.devices.signals import node_signals
from gui.single_instance import (
    InstanceServer,
    bring_forward,
    forward_to_running,
    server_name,
    show_message,
)


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    skip_feature_source_scan()
    app.setApplicationName("Backup Desk")
    app.setOrganizationName("backupdesk")
    app.setDesktopFileName("backupdesk")
    from gui.theme import follow_system  # after the app exists and the feature scan is off

    follow_system(app)
    return app


_BENIGN = ("This plugin does not support propagateSizeHints",)


def install_qt_message_handler() -> None:
    """Qt's messages go to our log file; known-benign platform chatter is dropped."""
    qlog = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(mode: QtMsgType, _context: object, message: str) -> None:
        if not message.startswith(_BENIGN):
            qlog.log(levels.get(mode, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def build_window(config: AppConfig) -> tuple[AppContext, MainWindow]:
    ctx = AppContext(config)
    window = MainWindow(ctx)
    return ctx, window


def _after_first_paint(ctx: AppContext, window: MainWindow, instance: str | None = None) -> None:
    from gui.jobwatch import JobWatcher
    from gui.notifier import notifications, open_job

    ctx.open_catalogue()
    window.setWindowIcon(app_icon())
    notifications(ctx).window = window
    if instance is not None:
        server = InstanceServer(instance, window)
        server.show_requested.connect(lambda: bring_forward(window))
        server.job_requested.connect(lambda job, retry: open_job(ctx, window, job, retry=retry))
        server.listen()
    JobWatcher(ctx)
    from gui.service_watch import ServiceIndicator
    from gui.window_scheduler import SchedulerHost

    SchedulerHost(ctx, window)  # due plans start on time while the window or tray is open
    window.statusBar().addPermanentWidget(ServiceIndicator(ctx))
    if QSystemTrayIcon.isSystemTrayAvailable():
        from gui.tray import Tray

        window.tray = Tray(ctx, window)
        window.tray.show()


def _poll_devices_from_start(ctx: AppContext, window: MainWindow) -> None:
    """The Devices pane (and its poller and alerts) starts as soon as a node is enabled, not
    when the pane is first opened."""
    from core.grid.nodes import list_nodes

    def build(any_enabled: bool) -> None:
        if not any_enabled or window.pane("devices") is not None:
            return
        keep = window.stack.currentIndex()
        window._select_row([p.key for p in PANES].index("devices"))
        window.stack.setCurrentIndex(keep)

    def check() -> None:
        cat = ctx.catalogue
        if cat is not None and window.pane("devices") is None:
            ctx.workers.submit(lambda: any(n.enabled for n in list_nodes(cat)),
                               on_result=build)

    check()
    node_signals(ctx).nodes_changed.connect(check)


def _set_up_service_after_welcome(ctx: AppContext, window: MainWindow, welcome: Any) -> None:
    """First run: once the welcome is answered, enable the background service (systemd user
    unit where there is one)."""
    from core.service_control import set_up_once

    def say(text: str | None) -> None:
        if text:
            window.statusBar().showMessage(text, 20000)

    def set_up() -> None:
        ctx.workers.submit(set_up_once, ctx.config, on_result=say,
                           on_error=lambda e: say(str(e)))

    def after_offer() -> None:
        dialog = window.findChild(QDialog, "welcome")
        if dialog is not None and dialog.isVisible():
            dialog.finished.connect(lambda _code: set_up())
        else:
            set_up()

    if welcome is None:
        set_up()
    else:
        welcome.signals.finished.connect(after_offer)


def _rss_kib() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def _report_and_exit(app: QApplication, ctx: AppContext, window: MainWindow,
                     marks: dict[str, float]) -> None:
    """After start-up: let the first page load and the app idle, print figures, quit."""
    history = window.pane("history")
    model = getattr(history, "model", None)
    if model is not None:
        model.loaded.connect(lambda: marks.setdefault("history_loaded", time.time()))

    def done() -> None:
        if ctx.workers.busy():
            QTimer.singleShot(50, done)
            return
        marks["idle"] = time.time()
        marks["rss_kib"] = _rss_kib()
        marks["sqlalchemy_loaded"] = "sqlalchemy" in sys.modules
        print(json.dumps(marks), flush=True)
        app.quit()

    marks["catalogue_ready"] = time.time()
    QTimer.singleShot(1000, done)


def _catalogue_opened(ctx: AppContext, window: MainWindow, *, welcome: bool = True,
                      job: int | None = None, retry: bool = False) -> None:
    """First-run welcome then the background service, the device grid, and the borg
    repositories' outside archives (imported only now: none is needed for the first paint)."""
    from core import watch
    from gui.borg_refresh import refresh_borg_repositories

    watch.install()  # the anomaly checks on the backups this window runs
    if welcome:
        from gui.welcome import offer_welcome

        _set_up_service_after_welcome(ctx, window, offer_welcome(ctx, window))
    _poll_devices_from_start(ctx, window)
    refresh_borg_repositories(ctx)
    if job is not None:
        from gui.notifier import open_job

        open_job(ctx, window, job, retry=retry)


def _on_exit(ctx: AppContext) -> None:
    """Closing the window never stops scheduled work: start the background service when plans
    have schedules and it does not run; stop it only when the tray's Quit asked for that."""
    from core import service_control
    from core.service import status

    try:
        if ctx.property("stop_service_on_quit"):
            service_control.stop(ctx.config)
        elif ctx.catalogue is not None and status(ctx.catalogue, ctx.config).unattended_gap:
            service_control.start(ctx.config)
    except Exception as e:
        logging.getLogger(__name__).warning("background service on exit: %s", e)


def run_app(config: AppConfig, *, exit_after_start: bool = False, job: int | None = None,
            retry: bool = False) -> int:
    app = create_app()
    install_qt_message_handler()
    instance = server_name(config)
    if forward_to_running(instance, message=show_message(job, retry)):
        return 0  # the running window came forward
    install_excepthook()
    ctx, window = build_window(config)
    marks: dict[str, float] = {}

    def painted() -> None:
        marks["first_paint"] = time.time()
        QTimer.singleShot(0, lambda: _after_first_paint(ctx, window, instance))

    window.first_painted.connect(painted)
    if exit_after_start:
        def ready() -> None:
            _catalogue_opened(ctx, window, welcome=False)  # no first-run dialog
            _report_and_exit(app, ctx, window, marks)

        ctx.catalogue_ready.connect(ready)
        ctx.catalogue_failed.connect(lambda e: app.exit(1))
    else:
        ctx.catalogue_ready.connect(lambda: _catalogue_opened(ctx, window, job=job, retry=retry))
    window.show()
    code = app.exec()
    if not exit_after_start:
        _on_exit(ctx)
    ctx.shutdown()
    return int(code)
