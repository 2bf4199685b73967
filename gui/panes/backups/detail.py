"""The selected backup: full SHA-256, warnings, and each destination's path and state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from core.backups import BackupInfo
from core.fmt import count, human_bytes, local_time
from gui.icons import state_icon
from gui.panes.backups.filters import type_label

LOCATION_ICONS = {"ok": "ok", "unverified": "none", "missing": "error", "corrupt": "error",
                  "size_mismatch": "error", "failed": "warning", "deleted": "none"}


class BackupDetail(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locations = QTreeWidget()
        self.locations.setHeaderLabels(["Destination", "State", "Verified", "Path"])
        self.locations.setRootIsDecorated(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        lay.addWidget(self.locations, 1)
        self.show_backup(None)

    def show_backup(self, b: BackupInfo | None) -> None:
        self.locations.clear()
        if b is None:
            self.summary.setText("Select a backup to see where its copies are.")
            return
        parent = f", parent {b.parent_id}" if b.parent_id is not None else ""
        files = f", {count(b.files, 'file')}" if b.files is not None else ""
        kind = type_label(b.type)
        lines = [f"<b>Backup {b.id}</b> of <b>{b.plan}</b> ({b.engine}, {kind}{parent}), "
                 f"{local_time(b.created_at, '%Y-%m-%d %H:%M:%S')}, "
                 f"{human_bytes(b.size)}{files}",
                 f"SHA-256 <tt>{b.sha256 or '—'}</tt>"]
        warnings = b.details.get("warnings") or []
        if warnings:
            lines.append(f"{count(len(warnings), 'warning')}: {warnings[0]}")
        self.summary.setText("<br>".join(lines))
        for loc in b.locations:
            bad = [n for n, s in (loc.verify_result.get("artifacts") or {}).items() if s != "ok"]
            state = loc.state + (f" ({', '.join(bad)})" if bad else "")
            item = QTreeWidgetItem([loc.destination, state,
                                    local_time(loc.verified_at) or "never", loc.path])
            item.setIcon(1, state_icon(LOCATION_ICONS.get(loc.state, "none"), 16))
            item.setToolTip(3, loc.path)
            self.locations.addTopLevelItem(item)
        for c in range(3):
            self.locations.resizeColumnToContents(c)
