"""One window per user and home: a second start asks the first to come forward, then exits.

The first instance listens on a QLocalServer named after the user and the home; a second start
connects, sends "show" and exits 0. A stale socket (after a crash) is replaced. On Unix the
name is a socket path and the second start connects with the socket module, so that the check
costs no QtNetwork import before the first paint.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import zlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from core.config import AppConfig

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)
SHOW = b"show\n"
UNIX = os.name == "posix"


def server_name(config: AppConfig) -> str:
    key = zlib.crc32(f"{config.paths.data_dir}\n{config.catalogue_url}".encode())
    if not UNIX:
        return f"backupdesk-{os.environ.get('USERNAME', 'user')}-{key:08x}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()
    return os.path.join(base, f"backupdesk-{os.getuid()}-{key:08x}.sock")


def show_message(job: int | None = None, retry: bool = False) -> bytes:
    """"show", or "show job ID [retry]": open the window on a job (a notification's action)."""
    if job is None:
        return SHOW
    return f"show job {job}{' retry' if retry else ''}\n".encode()


def forward_to_running(name: str, timeout_ms: int = 500, message: bytes = SHOW) -> bool:
    """Ask a running instance to show its window; False when none answers."""
    if UNIX:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout_ms / 1000)
                s.connect(name)
                s.sendall(message)
            return True
        except OSError:
            return False

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(message)
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
    """Listens for later starts; emits show_requested for each "show" received, and
    job_requested for "show job ID [retry]"."""

    show_requested = Signal()
    job_requested = Signal(int, bool)  # job id, retry

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
            words = bytes(conn.readLine().data()).decode(errors="replace").split()
            if words[:1] != ["show"]:
                continue
            self.show_requested.emit()
            if len(words) >= 3 and words[1] == "job" and words[2].isdigit():
                self.job_requested.emit(int(words[2]), words[3:4] == ["retry"])
