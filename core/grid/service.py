"""Poll targets on their intervals from an asyncio loop on a thread of its own.

`on_update` is called on that thread with each TargetUpdate; callers hand results over to
their own thread (the GUI does it with a queued signal). Nothing here blocks the caller.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from core.grid.adapters import Endpoint, Target
from core.grid.backoff import Backoff
from core.grid.cycle import Assembler, TargetUpdate
from core.grid.poller import ClientFactory, EndpointResult, Limits, Poller

log = logging.getLogger(__name__)
IDLE_WAKE_S = 1.0
POLLER_NICE = 10


def _lower_priority() -> None:
    """Let the caller's thread (the GUI's) win the CPU when both want it (Linux: per thread)."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), POLLER_NICE)
        except OSError:
            pass


def _key(ep: Endpoint) -> str:
    return f"{ep.target}|{ep.kind}|{ep.url}"


class GridService:
    def __init__(self, on_update: Callable[[TargetUpdate], None], *,
                 limits: Limits | None = None, client_factory: ClientFactory | None = None,
                 backoff: Backoff | None = None,
                 on_cycle_end: Callable[[list[str]], None] | None = None) -> None:
        self._on_update = on_update
        self._on_cycle_end = on_cycle_end
        self._limits = limits or Limits()
        self._factory = client_factory
        self._backoff = backoff or Backoff()
        self._targets: list[Target] = []
        self._next_due: dict[str, float] = {}
        self._busy: set[str] = set()
        self._last_error: dict[str, str] = {}
        self._previous: dict[str, dict[str, EndpointResult]] = {}
        self._force = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._lock = threading.Lock()

    # -- any thread --------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="grid-poller",
                                        daemon=True)
        self._thread.start()
        ready.wait(5.0)

    def set_targets(self, targets: Sequence[Target]) -> None:
        with self._lock:
            self._targets = list(targets)
            self._next_due.clear()
        self._kick()

    def poll_now(self) -> None:
        """Poll every target now, including those backing off."""
        with self._lock:
            self._next_due.clear()
            self._force = True
        self._kick()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._kick()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _kick(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:
                pass  # the loop just closed

    # -- the poller thread -------------------------------------------------------------------
    def _run(self, ready: threading.Event) -> None:
        _lower_priority()
        asyncio.run(self._main(ready))

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        ready.set()
        poller = Poller(self._limits, self._factory)
        tasks: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                due, wait_s, force = self._take_due()
                if due:
                    task = asyncio.create_task(self._cycle(poller, due, force))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait_s)
                except TimeoutError:
                    pass
        finally:
            for t in list(tasks):
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await poller.aclose()

    def _take_due(self) -> tuple[list[Target], float, bool]:
        now = time.monotonic()
        with self._lock:
            force, self._force = self._force, False
            due = [t for t in self._targets
                   if t.name not in self._busy and self._next_due.get(t.name, 0.0) <= now]
            for t in due:
                self._busy.add(t.name)
                self._next_due[t.name] = now + t.interval_s
            idle = [self._next_due.get(t.name, now) for t in self._targets
                    if t.name not in self._busy]
        wait_s = min([IDLE_WAKE_S, *[max(0.0, d - now) for d in idle]])
        return due, max(0.01, wait_s), force

    async def _cycle(self, poller: Poller, targets: list[Target], force: bool) -> None:
        asm = Assembler(targets, self._deliver, self._previous)
        intervals = {t.name: t.interval_s for t in targets}
        live: list[Endpoint] = []
        now = time.monotonic()
        for ep in asm.endpoints():
            k = _key(ep)
            if force or self._backoff.due(k, now):
                live.append(ep)
            else:
                wait = max(0, round(self._backoff.next_at(k) - now))
                last = self._last_error.get(k, "Unreachable.")
                asm.add(EndpointResult(ep, False, error=f"{last} Next try in {wait} s.",
                                       at=time.time()))

        def got(r: EndpointResult) -> None:
            k = _key(r.endpoint)
            self._backoff.record(k, r.ok, time.monotonic(), intervals[r.endpoint.target])
            if r.ok:
                self._last_error.pop(k, None)
            else:
                self._last_error[k] = r.error
            asm.add(r)

        try:
            await poller.poll(live, got)
        finally:
            with self._lock:
                self._busy.difference_update(t.name for t in targets)
            if self._on_cycle_end is not None:
                self._on_cycle_end([t.name for t in targets])
            self._kick()

    def _deliver(self, update: TargetUpdate) -> None:
        try:
            self._on_update(update)
        except Exception:
            log.exception("grid update handler failed")
