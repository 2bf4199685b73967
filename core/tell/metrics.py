"""`/metrics` of `backupdesk serve`: the catalogue (and the device grid, when the serving
process polls one) in the Prometheus text format, read at each scrape."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.catalogue.db import Catalogue
from core.catalogue.plan_metrics import PlanMetrics, plan_metrics
from core.catalogue.watch import db_now, watch_token
from core.grid.board import STATES
from core.grid_watch import GridWatch
from core.scheduling.loop import MAX_SLEEP as TICK_S
from core.timeutil import to_aware
from core.watch.state import evaluate

CONTENT_TYPE = CONTENT_TYPE_LATEST
PREFIX = "backupdesk_"


@dataclass(frozen=True)
class DeviceStatus:
    node: str
    device: str  # its id on the node
    name: str
    status: str  # its overall status (core.grid.board.STATES)


DeviceSource = Callable[[], Sequence[DeviceStatus]]


def _epoch(dt: datetime | None) -> float | None:
    aware = to_aware(dt)
    return aware.timestamp() if aware is not None else None


@dataclass(frozen=True)
class Reading:
    plans: tuple[PlanMetrics, ...]
    devices: tuple[DeviceStatus, ...] | None
    watch: tuple[tuple[str, str], ...] = ()  # (plan, watchdog state)


class WatchStates:
    """Each plan's watchdog state, evaluated again only when the jobs changed (a job was added
    or a running one ended: core.catalogue.watch.watch_token) or a scheduler tick has passed
    since (lateness also comes with time alone; progress and plan edits with the next tick)."""

    def __init__(self, cat: Catalogue, tick: float = TICK_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cat, self.tick, self.clock = cat, tick, clock
        self._lock = threading.Lock()
        self._token: tuple[Any, ...] | None = None
        self._at = 0.0
        self._states: tuple[tuple[str, str], ...] = ()

    def states(self) -> tuple[tuple[str, str], ...]:
        with self._lock:
            token, t = watch_token(self.cat), self.clock()
            if token != self._token or t - self._at >= self.tick:
                self._states = tuple((w.plan, w.state)
                                     for w in evaluate(self.cat, db_now(self.cat)))
                self._token, self._at = token, t
            return self._states


class CatalogueCollector:
    """A prometheus_client collector of what `read()` last read from the catalogue (and the
    grid). Writing the text costs about ten times the reading (some 40 µs a series), so an
    unchanged reading is answered with the text written for it (`exposition`)."""

    def __init__(self, cat: Catalogue, devices: DeviceSource | None = None) -> None:
        self.cat, self.devices = cat, devices
        self.reading = Reading((), None)
        self.watch = WatchStates(cat)

    def read(self) -> Reading:
        devices = tuple(self.devices()) if self.devices is not None else None
        return Reading(tuple(plan_metrics(self.cat)), devices, self.watch.states())

    def describe(self) -> list[Metric]:
        return []  # registering it must not read the catalogue

    def collect(self) -> Iterator[Metric]:
        yield from self._plans(self.reading.plans)
        watch = GaugeMetricFamily(PREFIX + "plan_watch_state",
                                  "The plan's watchdog state, as a label (ok, late, missing, "
                                  "hung, anomaly; always 1).", labels=["plan", "state"])
        for plan, state in self.reading.watch:
            watch.add_metric([plan, state], 1)
        yield watch
        if self.reading.devices is not None:
            yield from self._devices(self.reading.devices)

    def _plans(self, plans: Sequence[PlanMetrics]) -> Iterator[Metric]:
        def gauge(name: str, doc: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(PREFIX + name, doc, labels=["plan"])

        success = gauge("plan_last_success_timestamp_seconds",
                        "When the plan's last successful backup job finished (Unix time).")
        duration = gauge("plan_last_run_duration_seconds",
                         "How long the plan's last finished backup job took.")
        nbytes = gauge("plan_last_run_bytes", "Bytes of the plan's last finished backup job.")
        files = gauge("plan_last_run_files", "Files of the plan's last finished backup job.")
        # Every plan has this series (0 or 1), also one that never ran.
        running = gauge("plan_running", "1 while a backup job of the plan runs.")
        # One series per plan, its status a label: a state set would be five per plan, and
        # the scrape's time goes mostly to writing series.
        status = GaugeMetricFamily(PREFIX + "plan_last_run_status",
                                   "The plan's last finished backup job, labelled with its "
                                   "status (success, partial, failed, cancelled, interrupted; "
                                   "always 1).", labels=["plan", "status"])
        for p in plans:
            running.add_metric([p.name], 1 if p.running else 0)
            if (t := _epoch(p.last_success)) is not None:
                success.add_metric([p.name], t)
            run = p.last_run
            if run is None:
                continue
            status.add_metric([p.name, run.status], 1)
            for family, value in ((duration, None if run.duration_ms is None
                                   else run.duration_ms / 1000),
                                  (nbytes, run.bytes), (files, run.files)):
                if value is not None:
                    family.add_metric([p.name], value)
        yield from (running, success, status, duration, nbytes, files)

    def _devices(self, devices: Sequence[DeviceStatus]) -> Iterator[Metric]:
        status = StateSetMetricFamily(PREFIX + "device_status",
                                      "The overall status of a device of the grid.",
                                      labels=["node", "device", "name"])
        for d in devices:
            status.add_metric([d.node, d.device, d.name], {s: s == d.status for s in STATES})
        yield status


def grid_devices(watch: GridWatch) -> list[DeviceStatus]:
    """Each device of the grid `watch` polls, with its overall status; the node list is read
    again first, so nodes added while serving are polled too."""
    watch.refresh_nodes()
    return [DeviceStatus(d.node, d.device_id, d.name, d.state)
            for d in list(watch.board.devices.values())]


def exposition(collector: CatalogueCollector) -> Callable[[], bytes]:
    """The scrape: the catalogue read afresh at each call, in the text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    lock = threading.Lock()
    text = b""

    def scrape() -> bytes:
        nonlocal text
        reading = collector.read()
        with lock:
            if reading != collector.reading or not text:
                collector.reading = reading
                text = generate_latest(registry)
            return text

    return scrape
