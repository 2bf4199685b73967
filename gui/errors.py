"""One way to show an error: a message box for the user, the traceback to the log."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from core.errors import BackupDeskError

log = logging.getLogger(__name__)


def error_text(e: BaseException) -> str:
    if isinstance(e, BackupDeskError):
        return str(e)
    return f"Unexpected error: {type(e).__name__}: {e}\n\nDetails are in the log file."


def show_error(e: BaseException, title: str = "Backup Desk") -> None:
    if not isinstance(e, BackupDeskError):
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(e)))
    if QApplication.instance() is None or QApplication.platformName() == "offscreen":
        print(f"backupdesk: {error_text(e)}", file=sys.stderr)
        return
    box = QMessageBox(QMessageBox.Icon.Critical, title, error_text(e))
    box.exec()


def install_excepthook() -> None:
    """Exceptions in Qt callbacks go to the log and a dialog instead of killing the app."""

    def hook(etype: type[BaseException], value: BaseException,
             tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            QApplication.quit()
            return
        log.error("uncaught exception:\n%s", "".join(traceback.format_exception(etype, value, tb)))
        show_error(value)

    sys.excepthook = hook
