"""What every pane gets: config, the catalogue (opened off the GUI thread), the worker pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from core import startup
from core.config import AppConfig
from gui import skip_feature_source_scan
from gui.workers import Workers

if TYPE_CHECKING:
    from core.catalogue.db import Catalogue


class AppContext(QObject):
    # Emitted once, on the GUI thread, when the catalogue is open and migrated.
    catalogue_ready = Signal()
    # Emitted when the catalogue failed to open; the argument is the exception.
    catalogue_failed = Signal(object)
    # Emitted when jobs changed (a job started, progressed or ended, in any process).
    jobs_changed = Signal()
    # A desktop notification for the tray: (title, message). Emit once per event, not per poll.
    notify = Signal(str, str)

    def __init__(self, config: AppConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.catalogue: Catalogue | None = None
        self.workers = Workers(self)

    def open_catalogue(self) -> None:
        skip_feature_source_scan()
        from core.catalogue.db import open_catalogue  # after the first paint, feature scan off

        def work() -> Catalogue:
            self.config.paths.ensure()
            return open_catalogue(self.config.catalogue_url)

        self.workers.submit(work, on_result=self._opened, on_error=self.catalogue_failed.emit)

    def when_ready(self, fn: Callable[[], object]) -> None:
        """Call `fn` now if the catalogue is open, else once it is."""
        if self.catalogue is not None:
            fn()
        else:
            self.catalogue_ready.connect(fn)

    def set_catalogue(self, cat: Catalogue) -> None:
        """Use an already open catalogue (tests, screenshots)."""
        self._opened(cat)

    def _opened(self, cat: Catalogue) -> None:
        startup.end()
        self.catalogue = cat
        self.catalogue_ready.emit()

    def shutdown(self) -> None:
        self.workers.wait(10000)
        if self.catalogue is not None:
            self.catalogue.dispose()
