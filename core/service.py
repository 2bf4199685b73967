"""The background service: one headless process per user and state folder that runs the
schedules (backups, verifies, restore tests), polls the device grid, checks overdue plans and
sends their notifications, with or without the window.

`backupdesk service run` is it. One runs per state folder: it holds an exclusive lock on
`service.lock` in the state folder (with its pid in it) for as long as it runs, so anyone can
tell whether it runs. The window runs the same scheduler while it is open; the schedules'
claims (core.scheduler) keep both from starting the same due run, the alert claims
(core.alerts) from sending the same notification.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from core.alerts import Alerts, Event
from core.catalogue.db import Catalogue
from core.config import AppConfig, AppPaths
from core.fmt import count
from core.scheduler_service import SchedulerService

log = logging.getLogger(__name__)

LOCK_FILE = "service.lock"


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
    from core.catalogue.service_q import scheduled_plan_count

    return scheduled_plan_count(cat)


def status(cat: Catalogue | None, config: AppConfig) -> ServiceStatus:
    from core import service_control

    n = scheduled_plans(cat) if cat is not None else 0
    return ServiceStatus(running_pid(config.paths), n, service_control.uses_systemd(config))


class BackgroundService:
    """The scheduler, the grid watch and desktop notifications of one process."""

    def __init__(self, config: AppConfig, cat: Catalogue, *,
                 notify: Callable[[Event], None] | None = None, **scheduler: Any) -> None:
        from core.grid_watch import GridWatch

        self.config, self.cat = config, cat
        self._notifier: Any = None
        self.alerts = Alerts(config.paths, desktop_event=notify or self._notify)
        self.grid = GridWatch(cat, self.alerts)
        self.scheduler = SchedulerService(cat, config.paths, alerts=self.alerts,
                                          on_tick=self._tick, **scheduler)
        self._warned = False

    def _tick(self, _now: datetime) -> None:
        try:
            self.grid.refresh_nodes()
        except Exception:
            log.exception("reading the remote nodes failed")

    def _notify(self, ev: Event) -> None:
        from core.desktop_notify import DesktopNotifier, NotifyError, job_actions

        if self._notifier is None:
            self._notifier = DesktopNotifier(on_action=self._action)
        try:
            ref = str(ev.job_id) if ev.job_id is not None else "-"
            actions = job_actions(ev.job_id, ev.kind == "failure")
            self._notifier.notify(ev.title, ev.message, actions=actions, ref=ref,
                                  urgency=2 if ev.kind == "failure" else 1)
        except NotifyError as e:
            if not self._warned:
                log.warning("desktop notifications cannot be shown: %s", e)
                self._warned = True
            self._notifier.close()
            self._notifier = None

    def _action(self, action: str, ref: str) -> None:
        """A click on a notification's button: open the window on the job."""
        from core import service_control

        job = int(ref) if ref.isdigit() else None
        service_control.open_window(self.config, job=job, retry=action == "retry")

    def run(self) -> None:
        self._tick(datetime.now())
        self.scheduler.run()
        self.scheduler.wait_jobs()

    def stop(self) -> None:
        self.scheduler.stop(timeout=None)
        self.grid.stop()
        if self._notifier is not None:
            self._notifier.close()
