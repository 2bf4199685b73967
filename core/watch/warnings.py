"""Job warnings (a job's `details["warnings"]`): dicts {"kind", "check", "text", figures...};
an engine's older warnings are plain text and read as {"kind": "engine", "text": ...}."""

from __future__ import annotations

from typing import Any

ANOMALY = "anomaly"
INDEX = "index"  # the file index was not updated: the backup's status stays


def normalised(warnings: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for w in warnings or []:
        if isinstance(w, dict):
            out.append({"kind": str(w.get("kind", "")), "check": str(w.get("check", "")),
                        "text": str(w.get("text", "")),
                        **{k: v for k, v in w.items() if k not in ("kind", "check", "text")}})
        else:
            out.append({"kind": "engine", "check": "", "text": str(w)})
    return out


def anomalies(warnings: Any) -> list[dict[str, Any]]:
    return [w for w in normalised(warnings) if w["kind"] == ANOMALY]
