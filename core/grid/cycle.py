"""One poll of several targets: each endpoint's result is merged into its target's unified view
as soon as it arrives, so a slow daemon never delays another's devices."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.grid.adapters import Endpoint, Target
from core.grid.merge import SIDES, merge, service_error
from core.grid.poller import EndpointResult, Poller

PENDING = "No answer yet."


@dataclass(frozen=True)
class TargetUpdate:
    """A target's merged view after some or all of its endpoints ended."""

    target: Target
    results: dict[str, EndpointResult]  # slot -> result, for the endpoints that ended
    merged: dict[str, Any]
    complete: bool
    at: float = field(default_factory=time.time)

    def pending(self) -> list[str]:
        return [e.slot for e in self.target.endpoints if e.slot not in self.results]

    def answered(self) -> list[str]:
        return [s for s, r in self.results.items() if r.ok]

    def down(self) -> list[str]:
        return [s for s, r in self.results.items() if not r.ok]


def merge_results(target: Target, results: dict[str, EndpointResult],
                  previous: dict[str, EndpointResult] | None = None) -> dict[str, Any]:
    """A pending daemon counts with its previous answer, if any, so that tiles do not flicker
    while a slow daemon makes up its mind."""
    bodies: dict[str, Any] = {}
    for slot in SIDES:
        ep = target.endpoint_for(slot)
        if ep is None:
            bodies[slot] = None
        elif slot in results:
            bodies[slot] = results[slot].slot_value()
        elif previous and slot in previous:
            bodies[slot] = previous[slot].slot_value()
        else:
            bodies[slot] = service_error(slot, PENDING)
    return merge(bodies[SIDES[0]], bodies[SIDES[1]])


class Assembler:
    """Collects endpoint results per target and emits a TargetUpdate for each."""

    def __init__(self, targets: Sequence[Target], on_update: Callable[[TargetUpdate], None],
                 previous: dict[str, dict[str, EndpointResult]] | None = None) -> None:
        self._targets = {t.name: t for t in targets}
        self._previous = previous if previous is not None else {}
        self._results: dict[str, dict[str, EndpointResult]] = {t.name: {} for t in targets}
        self._on_update = on_update

    def add(self, result: EndpointResult) -> None:
        target = self._targets[result.endpoint.target]
        got = self._results[target.name]
        got[result.endpoint.slot] = result
        complete = len(got) >= len(target.endpoints)
        merged = merge_results(target, got, self._previous.get(target.name))
        if complete:
            self._previous[target.name] = dict(got)
        update = TargetUpdate(target, dict(got), merged, complete)
        self._on_update(update)

    def endpoints(self) -> list[Endpoint]:
        return [e for t in self._targets.values() for e in t.endpoints]


async def poll_targets(poller: Poller, targets: Sequence[Target],
                       on_update: Callable[[TargetUpdate], None]) -> None:
    asm = Assembler(targets, on_update)
    await poller.poll(asm.endpoints(), asm.add)
