"""The window's notifications go to the D-Bus notification server (dunst on a private bus
under Xvfb); the tray balloon only when no server answers."""

from __future__ import annotations

import os

import pytest

from tests.fixtures.desktop import Desktop, desktop  # noqa: F401 (fixture)


def test_the_window_notifies_through_dbus_and_falls_back_to_the_tray(
        desktop: Desktop, app_ctx, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from core.alerts import Event
    from gui.notifier import Notifications

    balloons: list[str] = []
    app_ctx.notify.connect(lambda t, _m: balloons.append(t))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    n = Notifications(app_ctx)
    n.show_event(Event("k1", "failure", "docs: backup failed", "The backup of docs failed.", 7))
    desktop.wait_for('string "docs: backup failed"')
    qtbot.wait(300)
    assert balloons == []
    n.close()

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    n = Notifications(app_ctx)
    with qtbot.waitSignal(app_ctx.notify, timeout=10000):
        n.show_event(Event("k2", "overdue", "docs is overdue", "No backup since Monday."))
    assert balloons == ["docs is overdue"]
    assert desktop.notify_calls().count("member=Notify") == 1
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"].startswith("unix:path=/nonexistent")


def test_settings_say_which_way_notifications_go(desktop, app_ctx, qtbot,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.panes.settings.notifications import NotificationsBox

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    box = NotificationsBox(app_ctx)
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: "dunst" in box.route.text(), timeout=10000)
    assert box.route.text().startswith("Desktop notifications are shown by dunst 1.")
    assert box.desktop.isEnabled()


def test_settings_say_plainly_when_neither_works(app_ctx, qtbot,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from gui.panes.settings.notifications import NotificationsBox

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    box = NotificationsBox(app_ctx)  # offscreen: no system tray either
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: "cannot be shown here" in box.route.text(), timeout=10000)
    assert "no notification server answers and there is no system tray" in box.route.text()
    assert not box.desktop.isEnabled() and not box.desktop.isChecked()
