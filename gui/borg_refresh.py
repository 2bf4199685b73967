"""On opening the app: record archives made outside it (a cron `borg create`) in every enabled
borg plan's repository.

The refresh runs as a `backupdesk refresh` child process, so that the window's own process
stays without the borg engine and SQLAlchemy (idle memory); quitting the app cancels it.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
from typing import Any

from PySide6.QtCore import QCoreApplication

from core import engines
from core.catalogue.history import plan_names
from core.cli.main import self_command
from core.config import AppConfig
from core.engines import Capability
from gui.context import AppContext

log = logging.getLogger(__name__)


class _Children:
    """Refresh processes still running; interrupted (their jobs end cancelled) at quit."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()

    def add(self, p: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.add(p)

    def discard(self, p: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.discard(p)

    def interrupt(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)


_children = _Children()


def refresh_in_child(cat: Any, config: AppConfig) -> int:
    """Worker thread: refresh every enabled borg plan in a child process; how many backups it
    found or found gone."""
    if not any(plan_names(cat, engine=name, enabled_only=True)
               for name, spec in engines.engines().items() if spec.can(Capability.REFRESH)):
        return 0
    # --by-app: labelled as the app's refresh, and no History row when nothing changed.
    proc = subprocess.Popen([*self_command(), "refresh", "--json", "--by-app"],
                            env=config.child_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _children.add(proc)
    try:
        out, err = proc.communicate()
    finally:
        _children.discard(proc)
    try:
        reports = json.loads(out)
    except ValueError:
        log.warning("borg refresh at start failed (exit %s): %s", proc.returncode, err.strip())
        return 0
    for r in reports:
        if "error" in r:
            log.warning("borg refresh of %s at start: %s", r["plan"], r["error"])
    return sum(len(r.get("new_backups") or []) + len(r.get("gone") or []) for r in reports)


def refresh_borg_repositories(ctx: AppContext) -> None:
    """Start the refresh in a worker; the History and Backups panes reload if it found any."""
    if ctx.catalogue is None:
        return
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(_children.interrupt)

    def done(changed: int) -> None:
        if changed:
            ctx.jobs_changed.emit()

    ctx.workers.submit(refresh_in_child, ctx.catalogue, ctx.config, on_result=done,
                       on_error=lambda e: log.warning("borg refresh at start: %s", e))
