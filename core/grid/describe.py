"""Words for a unified device: the tooltip and the detail panel's summary lines."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from core.fmt import human_bytes, relative_time
from core.grid.merge import MYSQL, RSYNC

SIDE_LABELS = {MYSQL: "MySQL", RSYNC: "rsync"}
STATE_LABELS = {
    "success": "Success", "partial": "Partial", "error": "Error", "unknown": "Unknown",
    "invalid": "Invalid data", "offline": "Offline",
}
# Epoch seconds beyond this (year 5138) are garbage, not dates.
MAX_EPOCH_S = 1e11


def when(value: Any, now: float | None = None) -> str:
    """A daemon's time as words; its sentinels 0 (never, or a backup under way) and -1 (the
    backup crashed) are not dates."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "never" if value is None else "invalid time"
    if value == 0:
        return "never"
    if value == -1:
        return "crashed"
    if not math.isfinite(value) or abs(value) > MAX_EPOCH_S:
        return "invalid time"
    now = time.time() if now is None else now
    return relative_time(datetime.fromtimestamp(value, UTC), datetime.fromtimestamp(now, UTC))


def _latest(device: dict[str, Any], key: str) -> Any:
    values = [device[s].get(key) for s in (MYSQL, RSYNC) if isinstance(device.get(s), dict)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)
               and math.isfinite(v)]
    return max(numbers) if numbers else None


def side_line(device: dict[str, Any], slot: str) -> str:
    side = device.get(slot)
    label = SIDE_LABELS[slot]
    if not isinstance(side, dict) or not side.get("available"):
        return f"{label}: not available"
    if side.get("invalid"):
        return f"{label}: invalid data ({side['invalid']})"
    progress: dict[str, Any] = side["progress"] if isinstance(side.get("progress"), dict) else {}
    status = progress.get("status") if isinstance(progress.get("status"), str) else "no status"
    message = progress.get("message")
    text = f"{label}: {status} ({side.get('status') or 'unknown'})"
    if isinstance(message, str) and message.strip():
        text += f" - {message.strip()[:200]}"
    return text


def size_of(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    files = part.get("local_files", part.get("total_files"))
    human = part.get("disk_usage_human", part.get("total_size_human"))
    raw = part.get("disk_usage_bytes", part.get("total_size_bytes"))
    if not isinstance(human, str):
        human = human_bytes(raw) if isinstance(raw, int) and not isinstance(raw, bool) else ""
    bits = []
    if isinstance(files, int) and not isinstance(files, bool):
        bits.append(f"{files:,} files")
    if human:
        bits.append(human)
    return ", ".join(bits)


def sizes_line(synced: Any) -> str:
    if not isinstance(synced, dict):
        return ""
    parts = [f"{k.capitalize()}: {size_of(synced[k])}" for k in ("results", "videos")
             if size_of(synced.get(k))]
    return " · ".join(parts)


def tooltip(device: dict[str, Any], state: str, now: float | None = None,
            reason: str = "") -> str:
    lines = [f"{device.get('name', '?')}: {STATE_LABELS.get(state, state)}"
             + (" · backing up now" if device.get("processing") else "")]
    if reason:
        lines.append(reason)
    lines.append(side_line(device, MYSQL))
    lines.append(side_line(device, RSYNC))
    lines.append(f"Last start: {when(_latest(device, 'started'), now)} · "
                 f"last end: {when(_latest(device, 'ended'), now)}")
    rsync = device.get(RSYNC)
    sizes = sizes_line(rsync.get("synced") if isinstance(rsync, dict) else None)
    if sizes:
        lines.append(sizes)
    return "\n".join(lines)
