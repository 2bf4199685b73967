"""The scheduler with its jobs and alerts wired in: what `backupdesk scheduler` and the GUI
run. Jobs run in their own threads; overdue plans are checked on every wake-up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from core import tell, watch
from core.alerts import Alerts
from core.catalogue.db import Catalogue
from core.catalogue.watch import db_now
from core.config import AppPaths
from core.scheduling import due_jobs
from core.scheduling.loop import MAX_SLEEP, MISSED_AFTER, Clock, Due, Scheduler
from core.status import GRACE
from core.timeutil import utcnow

log = logging.getLogger(__name__)
WATCHED = ("late", "missing", "hung")  # the watchdog's states told from here


class SchedulerService:
    def __init__(self, cat: Catalogue, paths: AppPaths, *, clock: Clock | None = None,
                 alerts: Alerts | None = None, grace: timedelta = GRACE,
                 missed_after: timedelta = MISSED_AFTER, max_sleep: float = MAX_SLEEP,
                 on_finished: Callable[[due_jobs.Finished], None] | None = None,
                 on_started: Callable[[Due], None] | None = None,
                 on_overdue: Callable[[list[str]], None] | None = None,
                 on_tick: Callable[[datetime], None] | None = None) -> None:
        self.cat, self.paths = cat, paths
        tell.install(paths)  # hooks, pings and notifications of the jobs this process runs
        self.alerts = alerts if alerts is not None else Alerts(paths)
        self.grace = grace
        self.on_finished, self.on_started = on_finished, on_started
        self.on_overdue, self.on_tick = on_overdue, on_tick
        self._overdue_at: datetime | None = None
        self._server_clock = clock is None  # late and hung are judged by the catalogue's clock
        self._failures_since = utcnow()  # jobs that failed before we started were not ours
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.scheduler = Scheduler(cat, self._launch, clock=clock, missed_after=missed_after,
                                   max_sleep=max_sleep, on_tick=self._on_tick)
        self._thread: threading.Thread | None = None

    def _launch(self, due: Due) -> None:
        t = threading.Thread(target=self._execute, args=(due,), name=f"scheduled-{due.plan}",
                             daemon=True)
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def _execute(self, due: Due) -> None:
        if self.on_started is not None:
            self.on_started(due)
        done = due_jobs.execute(self.cat, self.paths, due, self.alerts)
        self._overdue_at = None  # re-check at the next wake-up
        if self.on_finished is not None:
            self.on_finished(done)

    def _on_tick(self, now: datetime) -> None:
        if self.on_tick is not None:
            try:
                self.on_tick(now)
            except Exception:
                log.exception("tick hook failed")
        if self._server_clock:
            try:
                now = db_now(self.cat)
            except Exception:
                log.exception("reading the catalogue's clock failed")
        self._tell_watchdog(now)
        try:
            self._failures_since = due_jobs.alert_failures(self.cat, self.alerts,
                                                                 self._failures_since)
        except Exception:
            log.exception("failure scan failed")
        # Overdue can only change when a grace period ends or a job of ours ends (a success
        # elsewhere only ends a spell, which needs no alert); other wake-ups skip the check.
        if self._overdue_at is not None and now < self._overdue_at:
            return
        try:
            late, self._overdue_at = due_jobs.check_overdue(self.cat, self.alerts, now,
                                                                  self.grace)
            if self.on_overdue is not None:
                self.on_overdue(late)
        except Exception:
            log.exception("overdue check failed")

    def _tell_watchdog(self, now: datetime) -> None:
        """Late, missing and hung plans to their notification targets: once per episode (the
        alert's key), however often the loop wakes. Anomalies are told when their job ends."""
        try:
            for a in watch.alerts(self.cat, now):
                if a.state in WATCHED:
                    tell.announce(self.cat, a.plan, a.state, f"{a.plan}: backup {a.state}",
                                  a.text, f"watch-{a.key}", paths=self.paths)
        except Exception:
            log.exception("watchdog check failed")

    def start(self) -> None:
        """Run the loop in a background thread."""
        self._thread = threading.Thread(target=self.scheduler.run, name="scheduler",
                                        daemon=True)
        self._thread.start()

    def run(self) -> None:
        """Run the loop in this thread until stop()."""
        self.scheduler.run()

    def once(self) -> None:
        """One pass: start what is due, check overdue plans, wait for the started jobs."""
        self.scheduler.tick()
        self.wait_jobs()

    def wake(self) -> None:
        self._overdue_at = None
        self.scheduler.wake()

    def stop(self, timeout: float | None = 10.0) -> None:
        self.scheduler.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def running_jobs(self) -> int:
        with self._lock:
            return sum(1 for t in self._threads if t.is_alive())

    def wait_jobs(self, timeout: float | None = None) -> None:
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout)
