"""The device grid without a window: poll the enabled nodes, keep a board, send its alerts.

`grid_events` turns one poll's device alerts into notifications, one per node and state: a
node going down with 40 devices is one message. The window's Devices pane sends its alerts
through the same function, and the claims in core.alerts keep the window and the background
service from both sending one.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from pathlib import Path

from core.alerts import Alerts, Event
from core.catalogue.db import Catalogue
from core.grid.adapters import Target
from core.grid.board import Alert, Board
from core.grid.cycle import TargetUpdate
from core.grid.memory import DeviceMemory
from core.grid.nodes import enabled_targets, list_nodes
from core.grid.poller import Limits
from core.grid.service import GridService

log = logging.getLogger(__name__)

# A device state is told again after this long at the earliest (flapping nodes stay quiet).
REPEAT_AFTER_S = 1800
NAMES_SHOWN = 5


def _names(alerts: Sequence[Alert]) -> str:
    names = ", ".join(a.name for a in alerts[:NAMES_SHOWN])
    more = len(alerts) - NAMES_SHOWN
    return names + (f" and {more} more" if more > 0 else "")


def _key(prefix: str, alerts: Sequence[Alert]) -> str:
    keys = "\n".join(sorted(f"{a.key}={a.state}" for a in alerts))
    return f"grid-{prefix}-{zlib.crc32(keys.encode()):08x}"


def grid_events(alerts: Sequence[Alert]) -> list[Event]:
    """One event for the devices first seen in trouble, one per node and state for the rest."""
    events = []
    first = [a for a in alerts if a.first_sight]
    if len(first) == 1:
        a = first[0]
        events.append(Event(_key(a.target, first), "failure", f"{a.name}: {a.state}",
                            a.message, repeat_after=REPEAT_AFTER_S))
    elif first:
        events.append(Event(_key("first", first), "failure",
                            f"{len(first)} devices need attention",
                            f"In error or offline: {_names(first)}.",
                            repeat_after=REPEAT_AFTER_S))
    groups: dict[tuple[str, str], list[Alert]] = {}
    for a in alerts:
        if not a.first_sight:
            groups.setdefault((a.target, a.state), []).append(a)
    for (target, state), group in groups.items():
        verb = "is offline" if state == "offline" else "failed"
        if len(group) == 1:
            title, message = f"{group[0].name} {verb}", group[0].message
        else:
            plural = "are offline" if state == "offline" else "failed"
            title = f"{len(group)} devices on {target} {plural}"
            message = f"{title}: {_names(group)}."
            if state == "offline":
                message += f" {group[0].message.split(': ', 1)[-1]}"
        events.append(Event(_key(target, group), "failure", title, message,
                            repeat_after=REPEAT_AFTER_S))
    return events


class GridWatch:
    """Polls the catalogue's enabled nodes on a thread; alerts through `alerts` (None: keeps
    the board only, for `backupdesk serve`'s /metrics)."""

    def __init__(self, cat: Catalogue, alerts: Alerts | None, *, limits: Limits | None = None,
                 memory: Path | None = None) -> None:
        self.cat, self.alerts = cat, alerts
        self.board = Board(DeviceMemory(memory) if memory is not None else None)
        self._targets: list[Target] | None = None
        self._grid = GridService(self._update, limits=limits)

    def refresh_nodes(self) -> None:
        """Re-read the nodes (edited in the window or with `backupdesk node`)."""
        targets = enabled_targets(list_nodes(self.cat))
        if targets == self._targets:
            return
        self._targets = targets
        self.board.keep_targets({t.name for t in targets})
        if targets and not self._grid.running:
            self._grid.start()
        self._grid.set_targets(targets)

    def _update(self, update: TargetUpdate) -> None:  # the poller's thread
        change = self.board.apply(update)
        if self.alerts is not None:
            for ev in grid_events(change.alerts):
                self.alerts.emit(ev)

    def stop(self) -> None:
        self._grid.stop()
