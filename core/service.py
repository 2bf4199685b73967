"""The background service: one headless process per user and state folder that runs the
schedules (backups, verifies, restore tests), polls the device grid, checks overdue plans and
sends their notifications, with or without the window.

`backupdesk service run` is it. One runs per state folder: it holds an exclusive lock on
`service.lock` in the state folder (with its pid in it) for as long as it runs, so anyone can
tell whether it runs. The window runs the same scheduler while it is open; the schedules'
claims (core.scheduling.loop) keep both from starting the same due run, the alert claims
(core.alerts) from sending the same notification.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from core.alerts import Alerts, Event
from core.catalogue.db import Catalogue
from core.catalogue.schedules import scheduled_plan_count
from core.config import AppConfig, AppPaths
from core.desktop_notify import DesktopNotifier, NotifyError, job_actions
from core.fmt import count
from core.grid.memory import memory_path
from core.scheduling.runtime import SchedulerService

log = logging.getLogger(__name__)

LOCK_FILE = "service.lock"
LOGIN_WAIT_S = 60.0
PROBE_EVERY_S = 300.0


def lock_path(paths: AppPaths) -> Path:
    return paths.state_dir / LOCK_FILE


class ServiceLock:
    """The running service's lock; released when the process ends, however it ends."""

    def __init__(self, paths: AppPaths) -> None:
        self.path = lock_path(paths)
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def running_pid(paths: AppPaths) -> int | None:
    """The pid of the service running on these state folders, or None."""
    p = lock_path(paths)
    try:
        f = open(p, encoding="utf-8")  # noqa: SIM115
    except OSError:
        return None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = f.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(f, fcntl.LOCK_UN)
        return None


@dataclass(frozen=True)
class ServiceStatus:
    pid: int | None
    scheduled_plans: int  # enabled plans with an enabled schedule
    systemd: bool  # a systemd user unit can run it for these state folders

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def unattended_gap(self) -> bool:
        """Plans have schedules but nothing runs them once the window closes."""
        return self.scheduled_plans > 0 and not self.running

    def text(self) -> str:
        if self.running:
            return "Background service running"
        if self.scheduled_plans:
            n = self.scheduled_plans
            return (f"Background service stopped: {count(n, 'scheduled plan')} will not run "
                    "once this window closes")
        return "Background service stopped"


def scheduled_plans(cat: Catalogue) -> int:
    return scheduled_plan_count(cat)


def status(cat: Catalogue | None, config: AppConfig) -> ServiceStatus:
    from core import service_control  # it imports this module

    n = scheduled_plans(cat) if cat is not None else 0
    return ServiceStatus(running_pid(config.paths), n, service_control.uses_systemd(config))


class BackgroundService:
    """The scheduler, the grid watch and desktop notifications of one process.

    Desktop alerts are claimed (core.alerts) only while a notification server answers: at
    login the service may start before the desktop's server, and an alert it cannot show is
    left for the window (tray) or a later start."""

    def __init__(self, config: AppConfig, cat: Catalogue, *,
                 notify: Callable[[Event], None] | None = None, **scheduler: Any) -> None:
        from core.grid_watch import GridWatch  # the grid (httpx): only in the service

        self.config, self.cat = config, cat
        self._notifier: Any = None
        self._show = notify or self._notify
        self.alerts = Alerts(config.paths, desktop_event=self._show)
        self.grid = GridWatch(cat, self.alerts, memory=memory_path(config.paths))
        self.scheduler = SchedulerService(cat, config.paths, alerts=self.alerts,
                                          on_tick=self._tick, **scheduler)
        self._warned = False
        self._probed_at = -PROBE_EVERY_S

    def _tick(self, _now: datetime) -> None:
        if self._show == self._notify and time.monotonic() - self._probed_at >= PROBE_EVERY_S:
            self.alerts.desktop = self._show if self.desktop_ready() else None
        try:
            self.grid.refresh_nodes()
        except Exception:
            log.exception("reading the remote nodes failed")

    def _notifier_or_new(self) -> Any:
        if self._notifier is None:
            self._notifier = DesktopNotifier(on_action=self._action)
        return self._notifier

    def desktop_ready(self) -> bool:
        """A notification server answers (probed at most every few minutes)."""
        self._probed_at = time.monotonic()
        try:
            self._notifier_or_new().server()
            return True
        except NotifyError as e:
            self._give_up(e)
            return False

    def _give_up(self, e: Exception) -> None:
        if not self._warned:
            log.warning("desktop notifications cannot be shown: %s", e)
            self._warned = True
        if self._notifier is not None:
            self._notifier.close()
            self._notifier = None

    def _notify(self, ev: Event) -> None:
        try:
            ref = str(ev.job_id) if ev.job_id is not None else "-"
            actions = job_actions(ev.job_id, ev.kind == "failure")
            self._notifier_or_new().notify(ev.title, ev.message, actions=actions, ref=ref,
                                           urgency=2 if ev.kind == "failure" else 1)
        except NotifyError as e:
            self._give_up(e)
            self.alerts.desktop = None  # until a probe finds a server again

    def _action(self, action: str, ref: str) -> None:
        """A click on a notification's button: open the window on the job."""
        from core import service_control  # it imports this module

        job = int(ref) if ref.isdigit() else None
        service_control.open_window(self.config, job=job, retry=action == "retry")

    def wait_for_desktop(self, timeout: float = LOGIN_WAIT_S) -> None:
        """At login the desktop's notification server may come up after us: wait a little
        for it (not without a session bus: a server, a container)."""
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or self._show != self._notify:
            return
        deadline = time.monotonic() + timeout
        while not self.desktop_ready() and time.monotonic() < deadline:
            if self.scheduler.scheduler.stopped:
                return
            time.sleep(2.0)

    def run(self) -> None:
        self.wait_for_desktop()
        self._tick(datetime.now())
        self.scheduler.run()
        self.scheduler.wait_jobs()

    def stop(self) -> None:
        self.scheduler.stop(timeout=None)
        self.grid.stop()
        if self._notifier is not None:
            self._notifier.close()
