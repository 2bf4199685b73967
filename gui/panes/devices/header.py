"""The strip above the tiles: devices per state, each node's daemons, disk usage."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.fmt import human_bytes
from core.grid.board import STATES, ServiceState
from core.grid.describe import STATE_LABELS
from gui.panes.devices.tile import COLOURS, tile_colour

SERVICE_COLOURS = {"ok": "#2e9d4f", "down": "#d64541", "pending": "#9aa0a6"}
INLINE_NODES = 6


def _chip(colour: str, text: str) -> str:
    return (f'<span style="color:{colour}; font-size:15px;">\u25cf</span>&nbsp;'
            f"{html.escape(text)}")


def services_html(services: dict[str, dict[str, ServiceState]]) -> str:
    if not services:
        return "No answers yet."
    down = [s for t in services.values() for s in t.values() if s.state == "down"]
    total = sum(len(t) for t in services.values())
    if len(services) <= INLINE_NODES:
        parts = []
        for name in sorted(services):
            chips = " ".join(_chip(SERVICE_COLOURS[s.state], s.label.split()[0])
                             for s in services[name].values())
            parts.append(f"<b>{html.escape(name)}</b>&nbsp;{chips}")
        return " &nbsp;·&nbsp; ".join(parts)
    text = _chip(SERVICE_COLOURS["ok"], f"{total - len(down)} of {total} daemons answering")
    if down:
        names = ", ".join(f"{s.target} {s.label.split()[0]}" for s in down[:4])
        more = f" and {len(down) - 4} more" if len(down) > 4 else ""
        text += " &nbsp;" + _chip(SERVICE_COLOURS["down"], f"down: {names}{more}")
    return text


def disk_text(disk: dict[str, dict[str, Any]]) -> str:
    parts = []
    for kind in ("results", "videos"):
        files = size = 0
        human = ""
        found = False
        for summary in disk.values():
            part = summary.get(kind)
            if not isinstance(part, dict):
                continue
            f, b = part.get("total_files"), part.get("total_size_bytes")
            if isinstance(f, int) and not isinstance(f, bool):
                files, found = files + f, True
            if isinstance(b, int) and not isinstance(b, bool):
                size, found = size + b, True
            elif isinstance(part.get("total_size_human"), str) and len(disk) == 1:
                human, found = part["total_size_human"], True
        if found:
            parts.append(f"{kind.capitalize()}: {files:,} files, {human or human_bytes(size)}")
    return " · ".join(parts)


class DeviceHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.counts: dict[str, QLabel] = {}
        for state in STATES:
            lab = QLabel()
            lab.setObjectName(f"count-{state}")
            lab.setTextFormat(Qt.TextFormat.RichText)
            self.counts[state] = lab
            row.addWidget(lab)
        self.processing = QLabel()
        row.addWidget(self.processing)
        row.addStretch(1)
        lay.addLayout(row)
        self.services = QLabel("Waiting for the first answers.")
        self.services.setTextFormat(Qt.TextFormat.RichText)
        self.services.setWordWrap(True)
        self.disk = QLabel()
        self.disk.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(self.services)
        lay.addWidget(self.disk)
        self.set_counts(dict.fromkeys(STATES, 0))

    def set_counts(self, counts: dict[str, int]) -> None:
        for state, lab in self.counts.items():
            lab.setText(_chip(tile_colour(state, False).name(),
                              f"{STATE_LABELS[state]} {counts.get(state, 0)}"))
        self.processing.setText(_chip(COLOURS["processing"],
                                      f"Backing up {counts.get('processing', 0)}"))

    def set_services(self, services: dict[str, dict[str, ServiceState]],
                     disk: dict[str, dict[str, Any]]) -> None:
        self.services.setText(services_html(services))
        tips = []
        for name in sorted(services):
            for s in services[name].values():
                tips.append(f"{name} · {s.label}: {s.state}"
                            + (f" ({s.message})" if s.message and s.state != "ok" else ""))
        self.services.setToolTip("\n".join(tips[:40]))
        text = disk_text(disk)
        self.disk.setText(f"Disk usage: {text}" if text else "")
        self.disk.setVisible(bool(text))
