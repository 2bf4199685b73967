"""Plan > Import from borgmatic…: choose a borgmatic configuration file; its repositories
become borg plans (core.borgmatic) in a worker, and the answer says what was added."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from core.borgmatic import Outcome, default_files, import_configs
from core.catalogue.enums import JobTrigger
from gui.context import AppContext
from gui.errors import error_text

ACTIONS = {"added": "added", "exists": "already a plan", "would add": "would be added"}


def start_folder() -> str:
    found = default_files()
    if found:
        return str(found[0].parent)
    user = Path.home() / ".config" / "borgmatic"
    return str(user if user.is_dir() else Path.home())


class BorgmaticImport(QObject):
    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.window = parent
        self.answer: QMessageBox | None = None  # the result on screen
        self.running = False

    def start(self) -> None:
        cat = self.ctx.catalogue
        if cat is None or self.running:
            return
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import from borgmatic", start_folder(),
            "borgmatic configuration (*.yaml *.yml);;All files (*)")
        if not path:
            return
        self.running = True
        self.ctx.workers.submit(import_configs, cat, self.ctx.config.paths, [Path(path)],
                                trigger=JobTrigger.MANUAL.value, on_result=self._done,
                                on_error=self._failed)

    def _done(self, outcomes: list[Outcome]) -> None:
        self.running = False
        lines = [f"<b>{html.escape(o.plan)}</b>: {ACTIONS.get(o.action, o.action)}"
                 f" ({html.escape(o.repository)})" for o in outcomes if o.action != "failed"]
        lines += [html.escape(o.message) for o in outcomes if o.action == "failed"]
        bad = any(o.action == "failed" for o in outcomes)
        self._show(QMessageBox.Icon.Warning if bad else QMessageBox.Icon.Information,
                   "<br>".join(lines) or "Nothing to import.")
        self.ctx.jobs_changed.emit()  # the refresh jobs that recorded the archives

    def _failed(self, e: BaseException) -> None:
        self.running = False
        self._show(QMessageBox.Icon.Warning, html.escape(error_text(e)))

    def _show(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, "Import from borgmatic", text, QMessageBox.StandardButton.Ok,
                          self.window)
        box.setObjectName("borgmatic-import")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.answer = box
        box.finished.connect(lambda _r, b=box: self._closed(b))
        box.open()

    def _closed(self, box: QMessageBox) -> None:
        if self.answer is box:
            self.answer = None
