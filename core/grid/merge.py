"""Merge the MySQL and rsync daemons' answers into one view per device (the Ethoscope
daemons' format, docs/ethoscope-daemon-format.md).

`merge` accepts arbitrary JSON values and never raises: a malformed device is marked `invalid`
with a reason, a malformed daemon body becomes `{error, service}`, and neither blanks the rest.
"""

from __future__ import annotations

from typing import Any

from core.grid.parse import INVALID_KEY

MYSQL = "mysql_backup"
RSYNC = "rsync_backup"
SIDES = (MYSQL, RSYNC)
SUCCESS_WORDS = frozenset({"success", "completed"})
ERROR_WORDS = frozenset({"error", "failed"})


def service_error(service: str, message: str) -> dict[str, Any]:
    return {"error": message, "service": service}


def is_error_body(body: Any) -> bool:
    """The `{error, service}` shape, also as sent by a daemon answering 200 with an error."""
    return isinstance(body, dict) and isinstance(body.get("error"), str)


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def side_outcome(progress: Any) -> str:
    """'success', 'error' or '' from a side's progress object."""
    if not isinstance(progress, dict):
        return ""
    status = progress.get("status")
    if not isinstance(status, str):
        return ""
    word = status.strip().lower()
    if word in SUCCESS_WORDS:
        return "success"
    if word in ERROR_WORDS:
        return "error"
    return ""


def overall_status(outcomes: list[str]) -> str:
    """From the configured sides' outcomes: error beats everything, then success, partial."""
    if "error" in outcomes:
        return "error"
    wins = outcomes.count("success")
    if outcomes and wins == len(outcomes):
        return "success"
    return "partial" if wins else "unknown"


def devices_of(service: str, body: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(device entries, None) or ({}, an error body) for one daemon's raw answer."""
    if body is None:
        return {}, service_error(service, "not configured")
    if is_error_body(body):
        return {}, body
    if not isinstance(body, dict):
        kind = type(body).__name__
        return {}, service_error(service, f"The daemon answered a JSON {kind}, not an object.")
    if service == RSYNC:
        devices = body.get("devices", {})
        if devices is None:
            devices = {}
        if not isinstance(devices, dict):
            return {}, service_error(service, "The daemon's 'devices' is not an object.")
        return devices, None
    return body, None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _invalid_reason(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return f"entry is a JSON {type(entry).__name__}, not an object"
    if isinstance(entry.get(INVALID_KEY), str):
        return str(entry[INVALID_KEY])
    for key in ("progress", "synced", "metadata"):
        value = entry.get(key)
        if value is not None and not isinstance(value, dict):
            return f"'{key}' is a JSON {type(value).__name__}, not an object"
    progress = entry.get("progress")
    if isinstance(progress, dict):
        status = progress.get("status")
        if status is not None and not isinstance(status, str):
            return f"'progress.status' is a JSON {type(status).__name__}, not a string"
    return None


def absent_side(service: str) -> dict[str, Any]:
    side: dict[str, Any] = {
        "available": False, "status": "not_available", "progress": {}, "synced": {},
        "processing": False, "count": 0, "started": None, "ended": None,
    }
    if service == RSYNC:
        side["metadata"] = {}
    return side


def side_view(service: str, entry: Any) -> tuple[dict[str, Any], str | None]:
    """The unified side for one daemon's entry, and the reason if the entry is malformed."""
    reason = _invalid_reason(entry)
    side = absent_side(service)
    side["available"] = True
    if reason is not None:
        side["status"] = "invalid"
        side["invalid"] = reason
        return side, reason
    assert isinstance(entry, dict)
    status = entry.get("status")
    side["status"] = status if isinstance(status, str) else "unknown"
    side["progress"] = entry.get("progress") or {}
    side["synced"] = entry.get("synced") or {}
    side["processing"] = is_true(entry.get("processing"))
    count = _number(entry.get("count"))
    side["count"] = count if count is not None else 0
    side["started"] = _number(entry.get("started"))
    side["ended"] = _number(entry.get("ended"))
    if service == RSYNC:
        side["metadata"] = entry.get("metadata") or {}
    return side, None


def _name(device_id: str, entries: list[Any]) -> str:
    for entry in entries:
        if isinstance(entry, dict):
            name = entry.get("name")
            if isinstance(name, str) and name.strip():
                return name
    return "DEVICE_" + device_id[:8]


def unify(device_id: str, entries: dict[str, Any], configured: tuple[str, ...]) -> dict[str, Any]:
    """One device from its entries per service (a service missing from `entries` lacks it)."""
    sides: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    outcomes: list[str] = []
    for service in SIDES:
        if service not in entries:
            sides[service] = absent_side(service)
            if service in configured:
                outcomes.append("")
            continue
        side, reason = side_view(service, entries[service])
        sides[service] = side
        if reason is not None:
            reasons.append(f"{service}: {reason}")
        outcomes.append(side_outcome(side["progress"]))
    ordered = [entries[s] for s in SIDES if s in entries]
    statuses = [sides[s]["status"] for s in SIDES if sides[s]["available"]]
    if "running" in statuses:
        status = "running"
    else:
        status = next((s for s in statuses if s not in ("unknown", "invalid")), "unknown")
    device: dict[str, Any] = {
        "name": _name(device_id, ordered),
        "status": status,
        "overall_status": "invalid" if reasons else overall_status(outcomes),
        "processing": any(sides[s]["processing"] for s in SIDES),
        MYSQL: sides[MYSQL],
        RSYNC: sides[RSYNC],
    }
    if reasons:
        device["reason"] = "; ".join(reasons)
    return device


def merge(mysql: Any, rsync: Any) -> dict[str, Any]:
    """Seed 000's unified answer. A side given as None is not configured on this node and does
    not count towards overall_status; a side given as `{error, service}` is down."""
    bodies = {MYSQL: mysql, RSYNC: rsync}
    configured = tuple(s for s in SIDES if bodies[s] is not None)
    out: dict[str, Any] = {}
    per_device: dict[str, dict[str, Any]] = {}
    for service in SIDES:
        devices, error = devices_of(service, bodies[service])
        out[service] = error if error is not None else bodies[service]
        for device_id, entry in devices.items():
            per_device.setdefault(str(device_id), {})[service] = entry
    out["unified_devices"] = {
        device_id: unify(device_id, entries, configured)
        for device_id, entries in per_device.items()
    }
    return out

