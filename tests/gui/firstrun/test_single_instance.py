import subprocess
import sys

from core.config import AppConfig
from gui.single_instance import InstanceServer, bring_forward, forward_to_running, server_name


def test_name_is_per_home(tmp_path) -> None:
    a = server_name(AppConfig.resolve(str(tmp_path / "a")))
    b = server_name(AppConfig.resolve(str(tmp_path / "b")))
    assert a != b and a == server_name(AppConfig.resolve(str(tmp_path / "a")))


def test_no_instance_no_forward(app_ctx) -> None:
    assert not forward_to_running(server_name(app_ctx.config))


def test_a_client_brings_the_window_forward(qtbot, window) -> None:
    server = InstanceServer(server_name(window.ctx.config), window)
    assert server.listen()
    server.show_requested.connect(lambda: bring_forward(window))
    window.hide()
    with qtbot.waitSignal(server.show_requested, timeout=10000):
        assert forward_to_running(server.name)
    qtbot.waitUntil(window.isVisible, timeout=10000)
    server.close()


def test_a_qlocalsocket_client_brings_the_window_forward(qtbot, window) -> None:
    from PySide6.QtNetwork import QLocalSocket

    server = InstanceServer(server_name(window.ctx.config), window)
    assert server.listen()
    server.show_requested.connect(lambda: bring_forward(window))
    window.showMinimized()
    client = QLocalSocket()
    with qtbot.waitSignal(server.show_requested, timeout=10000):
        client.connectToServer(server.name)
        assert client.waitForConnected(5000)
        client.write(b"show\n")
        client.flush()
    qtbot.waitUntil(lambda: not window.isMinimized(), timeout=10000)
    client.disconnectFromServer()
    server.close()


def test_a_second_start_forwards_and_exits_0(qtbot, window, home) -> None:
    server = InstanceServer(server_name(window.ctx.config), window)
    assert server.listen()
    proc = subprocess.Popen([sys.executable, "-m", "core", "--home", str(home), "gui"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with qtbot.waitSignal(server.show_requested, timeout=60000):
            pass
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.close()


def test_a_stale_socket_is_replaced(qtbot, app_ctx) -> None:
    from PySide6.QtNetwork import QLocalServer

    name = server_name(app_ctx.config)
    first = QLocalServer(app_ctx)
    assert first.listen(name)
    # A crashed instance leaves its socket file behind: close the fd, keep the file.
    import os
    import socket

    path = first.fullServerName()
    first.close()
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
    assert os.path.exists(path)
    server = InstanceServer(name, app_ctx)
    assert server.listen()
    with qtbot.waitSignal(server.show_requested, timeout=10000):
        assert forward_to_running(name)
    server.close()
