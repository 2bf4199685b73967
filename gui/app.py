"""Application start: window first, then the catalogue off the GUI thread."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from core.config import AppConfig
from gui import skip_feature_source_scan
from gui.context import AppContext
from gui.errors import install_excepthook
from gui.main_window import MainWindow


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    skip_feature_source_scan()
    app.setApplicationName("Backup Desk")
    app.setOrganizationName("backupdesk")
    app.setDesktopFileName("backupdesk")
    from gui.theme import follow_system

    follow_system(app)
    return app


_BENIGN = ("This plugin does not support propagateSizeHints",)


def install_qt_message_handler() -> None:
    """Qt's messages go to our log file; known-benign platform chatter is dropped."""
    import logging

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

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
    from gui.icons import app_icon
    from gui.jobwatch import JobWatcher

    ctx.open_catalogue()
    window.setWindowIcon(app_icon())
    if instance is not None:
        from gui.single_instance import InstanceServer, bring_forward

        server = InstanceServer(instance, window)
        server.show_requested.connect(lambda: bring_forward(window))
        server.listen()
    JobWatcher(ctx)
    from gui.scheduler_host import SchedulerHost

    SchedulerHost(ctx, window)  # due plans start on time while the window or tray is open
    if QSystemTrayIcon.isSystemTrayAvailable():
        from gui.tray import Tray

        window.tray = Tray(ctx, window)
        window.tray.show()


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
    import json
    import time

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


def _catalogue_opened(ctx: AppContext, window: MainWindow, *, welcome: bool = True) -> None:
    """First-run welcome, and the borg repositories' outside archives (imported only now:
    neither is needed for the first paint)."""
    from gui.borg_refresh import refresh_borg_repositories

    if welcome:
        from gui.welcome import offer_welcome

        offer_welcome(ctx, window)
    refresh_borg_repositories(ctx)


def run_app(config: AppConfig, *, exit_after_start: bool = False) -> int:
    import time

    from gui.single_instance import forward_to_running, server_name

    app = create_app()
    install_qt_message_handler()
    instance = server_name(config)
    if forward_to_running(instance):
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
        ctx.catalogue_ready.connect(lambda: _catalogue_opened(ctx, window))
    window.show()
    code = app.exec()
    ctx.shutdown()
    return int(code)
