"""The scheduler loop: start each due schedule once, sleep until the next due time.

Each schedule's next due time is stored in the catalogue; a process takes a due run by moving
that time forward with a compare-and-set update, so the GUI and a headless scheduler sharing a
catalogue never both start it, and the plan lock stops a run while the plan is running anyway.
A run found late by more than `missed_after` (machine asleep or off) is a missed run: with the
`skip` policy it is dropped, with `catch_up` it runs once, however many were missed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol

from core.catalogue import schedules as rows
from core.catalogue.db import Catalogue
from core.catalogue.dbapi import to_datetime
from core.catalogue.jobs import recover_interrupted
from core.hosts import this_host
from core.jobs import pending
from core.scheduling import due_times
from core.timeutil import to_aware

log = logging.getLogger(__name__)

MISSED_AFTER = timedelta(minutes=2)
# The longest sleep: notices schedules edited by another process, clock changes and resume
# from suspend (a sleeping thread's timer does not count suspended time).
MAX_SLEEP = 60.0
# While it sleeps, the real scheduler looks this often for schedules changed by another process
# or host, so that a new schedule's first run is not late (a short poll of a change token).
CHANGE_POLL = 5.0


class Clock(Protocol):
    def now(self) -> datetime: ...  # aware UTC

    def sleep(self, seconds: float, wake: threading.Event) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        wake.wait(seconds)


@dataclass(frozen=True)
class Due:
    schedule_id: int
    plan_id: int
    plan: str
    kind: str  # backup, verify, restore_test
    due_at: datetime  # aware UTC
    started_at: datetime  # aware UTC, by the scheduler's clock
    missed: bool

    @property
    def lateness(self) -> float:
        return (self.started_at - self.due_at).total_seconds()


Launch = Callable[[Due], None]


class Scheduler:
    def __init__(self, cat: Catalogue, launch: Launch, *, clock: Clock | None = None,
                 missed_after: timedelta = MISSED_AFTER, max_sleep: float = MAX_SLEEP,
                 on_tick: Callable[[datetime], None] | None = None,
                 change_poll: float | None = None) -> None:
        self.cat, self.launch = cat, launch
        self.clock: Clock = clock or RealClock()
        # a test's clock advances by the sleep asked for: no polling there unless asked
        self.change_poll = change_poll if change_poll is not None else (
            CHANGE_POLL if clock is None else None)
        self.missed_after, self.max_sleep = missed_after, max_sleep
        self.on_tick = on_tick
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Re-read the schedules now (a plan was edited)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        while not self._stop.is_set():
            # Read before the tick reads the schedules: a change made while it runs is seen.
            # (The tick's own claims change it too: at most one more tick, at once.)
            before = self._token()
            try:
                delay = self.tick()
            except Exception:
                log.exception("scheduler tick failed")
                delay = self.max_sleep
            if self._stop.is_set():
                break
            self._wake.clear()
            self._sleep(delay, before)

    def _token(self) -> list[tuple[Any, ...]] | None:
        if self.change_poll is None:
            return None
        try:
            return rows.schedules_token(self.cat)
        except Exception:  # an unreachable catalogue: the tick says so
            log.debug("schedule change token failed", exc_info=True)
            return None

    def _sleep(self, delay: float, before: list[tuple[Any, ...]] | None) -> None:
        """Sleep `delay` seconds; sooner when woken or when the schedules changed since
        `before`."""
        if self.change_poll is None or before is None or delay <= self.change_poll:
            self.clock.sleep(delay, self._wake)
            return
        end = time.monotonic() + delay
        while not self._wake.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            self.clock.sleep(min(self.change_poll, left), self._wake)
            try:
                if rows.schedules_token(self.cat) != before:
                    return
            except Exception:  # an unreachable catalogue: the next tick says so
                log.debug("schedule change poll failed", exc_info=True)

    def tick(self) -> float:
        """Start what is due; the seconds until the next due time (at most max_sleep)."""
        now = self.clock.now()
        soonest: datetime | None = None
        # Jobs of a host or process that died stop blocking their plans without anyone having
        # to open the catalogue again.
        recover_interrupted(self.cat)
        pending.record(self.cat)  # outcomes of jobs that ended while the catalogue was away
        for a in rows.active_schedules(self.cat, this_host()):  # only this host's plans
            try:
                z = due_times.zone(a.timezone)
                nxt = self._handle(a.id, a.plan_id, a.plan, a.kind, a.expression, z,
                                   a.missed_policy, a.next_due_at, now)
            except Exception:
                log.exception("schedule %s of %s failed", a.id, a.plan)
                continue
            if nxt is not None and (soonest is None or nxt < soonest):
                soonest = nxt
        if self.on_tick is not None:
            self.on_tick(now)
        if soonest is None:
            return self.max_sleep
        after = self.clock.now()
        return max(0.0, min(self.max_sleep, (soonest - after).total_seconds()))

    def _handle(self, sid: int, pid: int, name: str, kind: str, expr: str, tz: tzinfo,
                policy: str, stored: Any, now: datetime) -> datetime | None:
        """`stored`: next_due_at as the database gave it (compared as such when claiming)."""
        if stored is None:
            # A new schedule starts from now: editing a plan never triggers a catch-up run.
            first = due_times.due_after(expr, now, tz)[0]
            self._claim(sid, None, first)
            return first
        due = to_aware(to_datetime(stored))
        assert due is not None
        if due > now:
            return due
        following = due_times.due_after(expr, now, tz)[0]
        if not self._claim(sid, stored, following, ran=now):
            return None  # another process took it; the next tick re-reads
        missed = now - due > self.missed_after
        if missed and policy == "skip":
            log.info("skipped the missed %s run of %s due at %s", kind, name, due.isoformat())
            return following
        if missed:
            log.info("catching up the %s run of %s due at %s", kind, name, due.isoformat())
        self.launch(Due(sid, pid, name, kind, due, now, missed))
        return following

    def _claim(self, sid: int, old: Any, new: datetime,
               ran: datetime | None = None) -> bool:
        return rows.claim(self.cat, sid, old, new, ran)
