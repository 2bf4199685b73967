"""Desktop notifications through the freedesktop Notifications D-Bus interface (jeepney).

One session-bus connection per process. Its receiver thread also hears the server's
ActionInvoked signals (GNOME sends them to the sender's connection only), which reach
`on_action(action, ref)` for the notifications this process sent. Where no session bus or no
notification server answers, `notify` raises NotifyError and callers fall back (the tray).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from core.errors import BackupDeskError

log = logging.getLogger(__name__)

PATH = "/org/freedesktop/Notifications"
NAME = "org.freedesktop.Notifications"
APP_NAME = "Backup Desk"
ICON = "backupdesk"
TIMEOUT_S = 3.0


class NotifyError(BackupDeskError):
    """No desktop notification server answered."""


Action = tuple[str, str]  # key, label


class DesktopNotifier:
    def __init__(self, on_action: Callable[[str, str], None] | None = None,
                 timeout: float = TIMEOUT_S) -> None:
        self.on_action = on_action
        self.timeout = timeout
        self._router: Any = None
        self._refs: dict[int, str] = {}
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._closed = threading.Event()

    def _connect(self) -> Any:
        if self._router is not None:
            return self._router
        try:
            from jeepney import DBusAddress, MatchRule, message_bus
            from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection
        except ImportError as e:
            raise NotifyError("Desktop notifications need the jeepney package.") from e
        try:
            router = DBusRouter(open_dbus_connection(bus="SESSION"))
        except Exception as e:  # no DBUS_SESSION_BUS_ADDRESS, socket gone, auth refused...
            raise NotifyError(f"No session bus: {e}") from e
        rule = MatchRule(type="signal", interface=NAME, path=PATH, member="ActionInvoked")
        try:
            Proxy(message_bus, router, timeout=self.timeout).AddMatch(rule)
        except Exception as e:
            router.close()
            raise NotifyError(f"The session bus did not answer: {e}") from e
        self._address = DBusAddress(PATH, bus_name=NAME, interface=NAME)
        self._router = router
        inbox: queue.Queue[Any] = queue.Queue(maxsize=100)
        self._filter = router.filter(rule, queue=inbox)
        self._listener = threading.Thread(target=self._listen, args=(inbox,),
                                          name="notify-actions", daemon=True)
        self._listener.start()
        return router

    def server(self) -> str:
        """The notification server's name and version; NotifyError when none answers."""
        from jeepney import new_method_call

        with self._lock:
            router = self._connect()
            body = self._call(router, new_method_call(self._address,
                                                       "GetServerInformation"))
        return f"{body[0]} {body[2]}"

    def notify(self, title: str, message: str, *, actions: Sequence[Action] = (),
               ref: str = "", urgency: int = 1) -> int:
        """Show one notification; its id. NotifyError when no server answers."""
        from jeepney import new_method_call

        flat: list[str] = [x for a in actions for x in a]
        hints: dict[str, tuple[str, Any]] = {"urgency": ("y", urgency),
                                             "desktop-entry": ("s", "backupdesk")}
        with self._lock:
            router = self._connect()
            msg = new_method_call(self._address, "Notify", "susssasa{sv}i",
                                  (APP_NAME, 0, ICON, title, message, flat, hints, -1))
            nid = int(self._call(router, msg)[0])
            if ref:
                self._refs[nid] = ref
        return nid

    def _call(self, router: Any, msg: Any) -> Any:
        from jeepney import MessageType

        try:
            reply = router.send_and_get_reply(msg, timeout=self.timeout)
        except Exception as e:
            raise NotifyError(f"No notification server answered: {e}") from e
        if reply.header.message_type == MessageType.error:
            raise NotifyError(f"No notification server answered: {reply.body}")
        return reply.body

    def _listen(self, inbox: queue.Queue[Any]) -> None:
        while not self._closed.is_set():
            try:
                msg = inbox.get(timeout=0.5)
            except queue.Empty:
                continue
            nid, action = msg.body
            with self._lock:
                ref = self._refs.get(int(nid))
            if ref is None or self.on_action is None:
                continue  # another application's notification
            try:
                self.on_action(str(action), ref)
            except Exception:
                log.exception("notification action %s failed", action)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            router, self._router = self._router, None
        if router is not None:
            self._filter.close()
            router.close()
            router.conn.close()


def job_actions(job_id: int | None, failed: bool = True) -> list[Action]:
    """A notification's actions: a click on it ("default") opens the app as "Open" does;
    a failed job's also offers "Retry"."""
    opening = [("default", "Open"), ("open", "Open")]
    return [*opening, ("retry", "Retry")] if failed and job_id is not None else opening
