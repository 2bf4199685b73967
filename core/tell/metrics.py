"""`/metrics` of `backupdesk serve`: the catalogue (and the device grid, when the serving
process polls one) in the Prometheus text format, read at each scrape."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric, StateSetMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.catalogue.db import Catalogue
from core.catalogue.enums import JobStatus
from core.catalogue.plan_metrics import plan_metrics
from core.grid.board import STATES
from core.grid_watch import GridWatch
from core.timeutil import to_aware

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


class CatalogueCollector:
    """A prometheus_client collector reading the catalogue when scraped."""

    def __init__(self, cat: Catalogue, devices: DeviceSource | None = None) -> None:
        self.cat, self.devices = cat, devices

    def describe(self) -> list[Metric]:
        return []  # registering it must not read the catalogue

    def collect(self) -> Iterator[Metric]:
        yield from self._plans()
        if self.devices is not None:
            yield from self._devices(self.devices())

    def _plans(self) -> Iterator[Metric]:
        def gauge(name: str, doc: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(PREFIX + name, doc, labels=["plan"])

        info = GaugeMetricFamily(PREFIX + "plan_info", "A plan, with its engine (always 1).",
                                 labels=["plan", "engine", "enabled"])
        success = gauge("plan_last_success_timestamp_seconds",
                        "When the plan's last successful backup job finished (Unix time).")
        started = gauge("plan_last_run_timestamp_seconds",
                        "When the plan's last finished backup job started (Unix time).")
        duration = gauge("plan_last_run_duration_seconds",
                         "How long the plan's last finished backup job took.")
        nbytes = gauge("plan_last_run_bytes", "Bytes of the plan's last finished backup job.")
        files = gauge("plan_last_run_files", "Files of the plan's last finished backup job.")
        running = gauge("plan_running", "1 while a backup job of the plan runs.")
        status = StateSetMetricFamily(PREFIX + "plan_last_run_status",
                                      "The status of the plan's last finished backup job.",
                                      labels=["plan"])
        ended = [s.value for s in JobStatus if s.finished]
        for p in plan_metrics(self.cat):
            info.add_metric([p.name, p.engine, "true" if p.enabled else "false"], 1)
            running.add_metric([p.name], 1 if p.running else 0)
            if (t := _epoch(p.last_success)) is not None:
                success.add_metric([p.name], t)
            run = p.last_run
            if run is None:
                continue
            status.add_metric([p.name], {s: s == run.status for s in ended})
            if (t := _epoch(run.started_at)) is not None:
                started.add_metric([p.name], t)
            for family, value in ((duration, None if run.duration_ms is None
                                   else run.duration_ms / 1000),
                                  (nbytes, run.bytes), (files, run.files)):
                if value is not None:
                    family.add_metric([p.name], value)
        yield from (info, success, status, started, duration, nbytes, files, running)

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
    """The scrape: the text format of `collector`'s metrics, read afresh at each call."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return lambda: generate_latest(registry)
