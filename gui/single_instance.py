"""One window per user and home: a second start asks the first to come forward, then exits.

The first instance listens on a QLocalServer named after the user and the home; a second start
connects, sends "show" and exits 0. A stale socket (after a crash) is replaced.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from core.config import AppConfig

log = logging.getLogger(__name__)
SHOW = b"show\n"


def server_name(config: AppConfig) -> str:
    user = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    key = f"{config.paths.data_dir}\n{config.catalogue_url}".encode()
    return f"backupdesk-{user}-{hashlib.sha256(key).hexdigest()[:16]}"


def forward_to_running(name: str, timeout_ms: int = 500) -> bool:
    """Ask a running instance to show its window; False when none answers."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(SHOW)
    ok = sock.waitForBytesWritten(timeout_ms)
    sock.disconnectFromServer()
    return bool(ok)


def bring_forward(window: QWidget) -> None:
    if window.isMinimized() or not window.isVisible():
        window.showNormal()
    if QGuiApplication.platformName() != "offscreen":  # it cannot raise (and says so)
        window.raise_()
    window.activateWindow()


class InstanceServer(QObject):
    """Listens for later starts; emits show_requested for each "show" received."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        if self.server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            if forward_to_running(self.name, 200):
                log.info("another instance serves %s", self.name)
                return False
            QLocalServer.removeServer(self.name)  # stale socket of a crashed instance
            if self.server.listen(self.name):
                return True
        log.warning("single-instance server: %s", self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            if conn is None:
                break
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)
            if conn.bytesAvailable():
                self._read(conn)

    def _read(self, conn: QLocalSocket) -> None:
        while conn.canReadLine():
            if bytes(conn.readLine().data()) == SHOW:
                self.show_requested.emit()
