"""The devices of all targets across polls: states, offline devices, service health, alerts.

A device missing from an answer is offline when every daemon it was known on is down, kept as
it was while such a daemon has not answered yet, and dropped when they answered without it.
With a DeviceMemory, the devices a target last reported (in an earlier run too) show as offline
when all its daemons are down.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from core.grid.cycle import TargetUpdate
from core.grid.memory import DeviceMemory
from core.grid.merge import MYSQL, RSYNC, SIDES, unify

STATES = ("error", "offline", "invalid", "partial", "unknown", "success")
ALERT_STATES = frozenset({"error", "offline"})


@dataclass(frozen=True)
class DeviceState:
    key: str
    target: str
    node: str
    device_id: str
    name: str
    state: str
    processing: bool
    device: dict[str, Any]
    raw: dict[str, Any]
    reason: str = ""
    seen_at: float = 0.0

    def detail(self) -> dict[str, Any]:
        return {"node": self.target, "device_id": self.device_id, "state": self.state,
                "unified": self.device, "raw": self.raw}

    def view(self) -> DeviceView:
        payload = json.dumps({"unified": self.device, "raw": self.raw}, default=str)
        return DeviceView(self.key, self.target, self.node, self.device_id, self.name,
                          self.state, self.processing, self.reason, self.seen_at, payload)


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A device for display. Its JSON stays a string until asked for: thousands of nested
    dicts would make every full garbage collection of the GUI process stall its event loop."""

    key: str
    target: str
    node: str
    device_id: str
    name: str
    state: str
    processing: bool
    reason: str
    seen_at: float
    payload: str

    @property
    def device(self) -> dict[str, Any]:
        unified: dict[str, Any] = json.loads(self.payload)["unified"]
        return unified

    def detail(self) -> dict[str, Any]:
        data = json.loads(self.payload)
        return {"node": self.target, "device_id": self.device_id, "state": self.state,
                "unified": data["unified"], "raw": data["raw"]}


@dataclass(frozen=True)
class ServiceState:
    target: str
    slot: str
    label: str
    url: str
    state: str  # ok, down, pending
    message: str = ""


@dataclass(frozen=True)
class Alert:
    key: str
    name: str
    target: str
    state: str
    message: str
    first_sight: bool


@dataclass
class Change:
    changed: list[DeviceState] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def raw_entry(body: Any, slot: str, device_id: str) -> Any:
    if slot == RSYNC:
        body = body.get("devices") if isinstance(body, dict) else None
    return body.get(device_id) if isinstance(body, dict) else None


class Board:
    def __init__(self, memory: DeviceMemory | None = None) -> None:
        self.memory = memory
        self.devices: dict[str, DeviceState] = {}
        self.services: dict[str, dict[str, ServiceState]] = {}
        self.disk: dict[str, dict[str, Any]] = {}
        self._slots: dict[str, frozenset[str]] = {}

    def keep_targets(self, names: set[str]) -> list[str]:
        """Forget targets no longer configured; returns the removed device keys."""
        gone = [k for k, d in self.devices.items() if d.target not in names]
        for k in gone:
            del self.devices[k]
            self._slots.pop(k, None)
        for t in list(self.services):
            if t not in names:
                del self.services[t]
                self.disk.pop(t, None)
        if self.memory is not None:
            self.memory.forget_others(names)
        return gone

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for d in self.devices.values():
            out[d.state] = out.get(d.state, 0) + 1
        out["processing"] = sum(1 for d in self.devices.values() if d.processing)
        return out

    def apply(self, update: TargetUpdate, now: float | None = None) -> Change:
        now = time.time() if now is None else now
        target = update.target
        tname = target.name
        self._services(update)
        merged = update.merged
        rsync = merged.get(RSYNC)
        if isinstance(rsync, dict) and isinstance(rsync.get("disk_usage_summary"), dict):
            self.disk[tname] = rsync["disk_usage_summary"]
        change = Change()
        seen: set[str] = set()
        unsure = set(update.down()) | set(update.pending())
        devices = merged.get("unified_devices") or {}
        for device_id, dev in devices.items():
            key = f"{tname}/{device_id}"
            seen.add(key)
            slots = frozenset(s for s in SIDES if dev[s]["available"])
            self._slots[key] = slots
            raw = {s: raw_entry(merged.get(s), s, device_id) for s in sorted(slots)}
            name = dev["name"]
            prev = self.devices.get(key)
            if prev is not None and MYSQL not in slots and MYSQL in unsure:
                name = prev.name  # keep the MySQL daemon's name while it cannot tell
            state = DeviceState(key, tname, target.node, device_id, name,
                                dev["overall_status"], bool(dev["processing"]), dev, raw,
                                str(dev.get("reason", "")), now)
            self._put(state, change)
        down = set(update.down())
        pending = set(update.pending())
        for key, old in list(self.devices.items()):
            if old.target != tname or key in seen:
                continue
            slots = self._slots.get(key, frozenset())
            if slots and slots <= down:
                why = "; ".join(update.results[s].error for s in sorted(slots))
                self._put(replace(old, state="offline", processing=False, reason=why), change)
            elif not (slots & pending):
                del self.devices[key]
                self._slots.pop(key, None)
                change.removed.append(key)
        if self.memory is not None and update.complete:
            if update.answered():
                self.memory.remember(tname, self._reported(tname))
            else:
                self._recall(update, change)
        return change

    def _reported(self, tname: str) -> dict[str, dict[str, Any]]:
        return {d.device_id: {"name": d.name, "slots": sorted(self._slots.get(k, ()))}
                for k, d in self.devices.items() if d.target == tname}

    def _recall(self, update: TargetUpdate, change: Change) -> None:
        """Every daemon of the target is down: its remembered devices not on the board yet
        come back as offline."""
        target = update.target
        down = set(update.down())
        assert self.memory is not None
        for device_id, known in self.memory.devices(target.name).items():
            key = f"{target.name}/{device_id}"
            slots = frozenset(s for s in known["slots"] if s in SIDES)
            if key in self.devices or not slots or not slots <= down:
                continue
            device = unify(device_id, {}, ())
            device["name"] = known["name"]
            why = "; ".join(update.results[s].error for s in sorted(slots))
            self._slots[key] = slots
            self._put(DeviceState(key, target.name, target.node, device_id, known["name"],
                                  "offline", False, device, {}, why), change)

    def _put(self, new: DeviceState, change: Change) -> None:
        old = self.devices.get(new.key)
        self.devices[new.key] = new
        if old is not None and (old.state, old.processing, old.device, old.reason) == (
                new.state, new.processing, new.device, new.reason):
            return
        change.changed.append(new)
        if new.state in ALERT_STATES and (old is None or old.state != new.state):
            change.alerts.append(Alert(new.key, new.name, new.target, new.state,
                                       _alert_text(new), old is None))

    def _services(self, update: TargetUpdate) -> None:
        states: dict[str, ServiceState] = {}
        for ep in update.target.endpoints:
            r = update.results.get(ep.slot)
            if r is None:
                old = self.services.get(ep.target, {}).get(ep.slot)
                states[ep.slot] = old or ServiceState(ep.target, ep.slot, ep.label, ep.url,
                                                      "pending", "Waiting for an answer.")
            else:
                states[ep.slot] = ServiceState(ep.target, ep.slot, ep.label, ep.url,
                                               "ok" if r.ok else "down", r.error)
        self.services[update.target.name] = states


def _alert_text(d: DeviceState) -> str:
    if d.state == "offline":
        return f"{d.name} on {d.target} is offline: {d.reason or 'its daemons are down'}"
    parts = []
    for slot in (MYSQL, RSYNC):
        side = d.device.get(slot) or {}
        progress: dict[str, Any] = (side["progress"] if isinstance(side.get("progress"), dict)
                                    else {})
        msg = progress.get("message")
        status = progress.get("status")
        if isinstance(status, str) and status.lower() in ("error", "failed"):
            parts.append(f"{slot.split('_')[0]}: {msg if isinstance(msg, str) else status}")
    return f"{d.name} on {d.target} failed" + (f" ({'; '.join(parts)})" if parts else "")
