"""Restore one version of a file: asks for the folder; a folder that holds files is confirmed
first (No is the default, and No keeps this dialog open)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from core.findex.find import Hit
from core.findex.versions import Version, show_path
from core.fmt import human_bytes
from gui.errors import error_text
from gui.panes.backups.controller import needs_overwrite
from gui.panes.backups.dialogs import FolderField, buttons, problem_label, refused_to_fill
from gui.panes.backups.guard import guarded
from gui.workers import Workers


class VersionRestoreDialog(QDialog):
    def __init__(self, hit: Hit, version: Version, workers: Workers,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workers = workers
        self.target: Path | None = None
        self.overwrite = False
        self.setWindowTitle(f"Restore version {version.number}")
        self.folder = FolderField("/path/to/a folder")
        self.problem = problem_label()
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(
            f"<b>{show_path(hit.path)}</b> ({hit.plan}), version {version.number} of "
            f"{len(hit.versions)}: {human_bytes(version.size or 0)}, from backup "
            f"{version.last.id}.<br>Restore it into this folder (the path inside the backup is "
            "kept):"))
        lay.addWidget(self.folder)
        lay.addWidget(self.problem)
        lay.addWidget(buttons(self, "&Restore"))
        self.resize(560, 160)

    def accept(self) -> None:
        to = self.folder.path()
        if to is None or not to.is_absolute():
            self._problem("Choose the folder to restore into (an absolute path).")
            return
        self.setEnabled(False)
        self.workers.submit(needs_overwrite, to,
                            on_result=guarded(self, lambda full: self._checked(to, full)),
                            on_error=guarded(self, lambda e: self._problem(error_text(e))))

    def _checked(self, to: Path, full: bool) -> None:
        self.setEnabled(True)
        if full:
            refused = refused_to_fill(to, self)
            if refused:
                self._problem(refused)
                return
            self.overwrite = True
        self.target = to
        super().accept()

    def _problem(self, text: str) -> None:
        self.setEnabled(True)
        self.problem.setText(text)
        self.problem.setVisible(True)
