"""The devices each target last reported, kept in a small JSON file across restarts, so that a
node whose daemons are all down at start-up shows its devices as offline instead of nothing.

The window and the background service may both keep one on the same file: each writes its
whole view atomically (a temporary file renamed over it), the last writer wins, and both poll
the same nodes, so their views agree.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from core.config import AppPaths
from core.statefile import write_atomic

log = logging.getLogger(__name__)
FILE_NAME = "grid-devices.json"

# target -> device id -> {"name": str, "slots": [slot, ...]}
Known = dict[str, dict[str, dict[str, Any]]]


def memory_path(paths: AppPaths) -> Path:
    """Where the window and the service keep it, in the home's state folder."""
    return paths.state_dir / FILE_NAME


class DeviceMemory:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._known: Known = self._load()

    def _load(self) -> Known:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.warning("ignoring the device memory %s: %s", self.path, e)
            return {}
        if not isinstance(data, dict):
            return {}
        out: Known = {}
        for target, devices in data.items():
            if isinstance(devices, dict):
                out[str(target)] = {str(k): v for k, v in devices.items()
                                    if isinstance(v, dict) and isinstance(v.get("name"), str)
                                    and isinstance(v.get("slots"), list)}
        return out

    def devices(self, target: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._known.get(target, {}))

    def remember(self, target: str, devices: dict[str, dict[str, Any]]) -> None:
        """Keep `devices` as what `target` last reported; writes only when it changed."""
        with self._lock:
            if self._known.get(target) == devices:
                return
            self._known[target] = devices
            snapshot = json.dumps(self._known, ensure_ascii=False, sort_keys=True)
        self._write(snapshot)

    def forget_others(self, targets: set[str]) -> None:
        with self._lock:
            gone = set(self._known) - targets
            if not gone:
                return
            for t in gone:
                del self._known[t]
            snapshot = json.dumps(self._known, ensure_ascii=False, sort_keys=True)
        self._write(snapshot)

    def _write(self, text: str) -> None:
        try:
            write_atomic(self.path, text)
        except OSError as e:
            log.warning("cannot keep the device memory in %s: %s", self.path, e)
