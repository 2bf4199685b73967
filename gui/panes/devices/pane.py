"""Devices pane: one tile per device of every remote node, coloured by its backup state."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.grid.board import Alert, ServiceState
from core.grid.memory import memory_path
from core.grid.nodes import NodeSpec, list_nodes
from core.grid_watch import grid_events
from gui.context import AppContext
from gui.notifier import notifications
from gui.panes.devices.controller import Batch, GridController
from gui.panes.devices.detail import DetailPanel
from gui.panes.devices.header import DeviceHeader
from gui.panes.devices.model import KEY_ROLE, SORTS, DeviceModel
from gui.panes.devices.signals import node_signals
from gui.panes.devices.tile import TileDelegate, TileView
from gui.widgets import EmptyState

BREATHE_MS = 120


class DevicesPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 controller: GridController | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.controller = controller or GridController(memory=memory_path(ctx.config.paths))
        self.controller.setParent(self)
        self.model = DeviceModel(self)
        self.delegate = TileDelegate(self)
        self.header = DeviceHeader()
        self.detail = DetailPanel()
        self._selected: str | None = None
        self.nodes: list[NodeSpec] | None = None
        self._services: dict[str, dict[str, ServiceState]] = {}

        self.search = QLineEdit(placeholderText="Search devices, ids, nodes or states")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        for key, label in SORTS.items():
            self.sort.addItem(label, key)
        self.refresh_button = QPushButton("&Poll now")
        self.refresh_button.setToolTip("Ask every node's daemons now (F5)")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.sort)
        bar.addWidget(self.refresh_button)

        self.view = TileView()
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(250)
        self.view.setSpacing(0)
        self.view.setMouseTracking(True)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([760, 480])
        self.detail.setMinimumWidth(360)

        grid = QWidget()
        glay = QVBoxLayout(grid)
        glay.setContentsMargins(0, 0, 0, 0)
        glay.addWidget(self.header)
        glay.addLayout(bar)
        glay.addWidget(split, 1)
        empty_state = EmptyState(
            "No remote nodes yet",
            "Add the lab nodes whose backup daemons you want to watch, in Settings or with:\n"
            "backupdesk node add NAME --mysql http://HOST:8090 --rsync http://HOST:8093",
        )
        self.add_node_button = QPushButton("&Add node…")
        self.add_node_button.clicked.connect(self.add_node)
        self.empty = empty_state
        elay = empty_state.layout()
        assert isinstance(elay, QVBoxLayout)
        elay.insertWidget(3, self.add_node_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(grid)
        lay = QVBoxLayout(self)
        lay.addWidget(self.stack)

        self.breathe = QTimer(self)
        self.breathe.setInterval(BREATHE_MS)
        self.breathe.timeout.connect(self._breathe)
        self.search.textChanged.connect(self._filter)
        self.sort.currentIndexChanged.connect(lambda _: self._resort())
        self.refresh_button.clicked.connect(self.controller.refresh)
        sel = self.view.selectionModel()
        sel.currentChanged.connect(self._current_changed)
        self.controller.batch_ready.connect(self._on_batch)
        node_signals(ctx).nodes_changed.connect(self.reload_nodes)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        ctx.when_ready(self.reload_nodes)

    # -- nodes ----------------------------------------------------------------------------------
    def reload_nodes(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        self.ctx.workers.submit(list_nodes, cat, on_result=self._nodes_loaded)

    def _nodes_loaded(self, nodes: list[NodeSpec]) -> None:
        self.nodes = nodes
        self.stack.setCurrentIndex(1 if any(n.enabled for n in nodes) else 0)
        self.controller.set_nodes(nodes)
        n = len(self.controller.targets)
        self.view.set_placeholder(f"Polling {n} node{'s' if n != 1 else ''}…")

    def refresh_now(self) -> None:
        """F5: poll every node now."""
        self.controller.refresh()

    def add_node(self) -> None:
        """Settings, Remote nodes, a blank form (through the main window when there is one)."""
        window = self.window()
        show = getattr(window, "show_pane", None)
        if show is None:
            return
        settings = show("settings")
        settings.tabs.setCurrentWidget(settings.nodes)
        settings.nodes.edit_new()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.nodes is not None:
            self.reload_nodes()  # `backupdesk node add` may have run meanwhile

    def screenshot_ready(self) -> bool:
        """True once every enabled node's daemons have answered or failed (for screenshots)."""
        if self.nodes is None:
            return False
        if not any(n.enabled for n in self.nodes):
            return True
        services = self._services
        return bool(services) and all(
            st.state != "pending" for node in services.values() for st in node.values())

    def screenshot_select(self) -> None:
        """Select the first tile, so that a screenshot shows the detail panel too."""
        if self.model.rowCount():
            self.select(self.model.index(0).data(KEY_ROLE))

    def shutdown(self) -> None:
        self.breathe.stop()
        self.controller.stop()

    # -- updates --------------------------------------------------------------------------------
    def _on_batch(self, batch: Batch) -> None:
        if batch.changed:
            self.stack.setCurrentIndex(1)
        self.model.apply(batch.changed, batch.removed)
        if not batch.final:
            return
        self.header.set_counts(batch.counts)
        self.header.set_services(batch.services, batch.disk)
        self._services = batch.services
        if batch.services:
            self.view.set_placeholder(_why_empty(batch))
        self._restore_selection()
        if self._selected in batch.changed or self._selected in batch.removed:
            self.detail.show_device(self.model.device(self._selected or ""))
        self._notify(batch.alerts)
        if self.model.any_processing_shown():
            if not self.breathe.isActive():
                self.breathe.start()
        else:
            self.breathe.stop()

    def _notify(self, alerts: list[Alert]) -> None:
        notifications(self.ctx).send(grid_events(alerts))  # one per node and state

    def _breathe(self) -> None:
        self.delegate.phase += 0.5
        area = self.view.viewport().rect()
        for row in self.model.processing_rows():
            rect = self.view.visualRect(self.model.index(row))
            if rect.intersects(area):
                self.view.viewport().update(rect)

    # -- selection, search, sort ----------------------------------------------------------------
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = current.data(KEY_ROLE) if current.isValid() else None
        if key is None:
            return
        self._selected = key
        self.detail.show_device(self.model.device(key))

    def _restore_selection(self) -> None:
        if self._selected is None:
            return
        row = self.model.row_of(self._selected)
        if row < 0:
            return
        idx = self.model.index(row)
        sel = self.view.selectionModel()
        if sel.currentIndex() != idx:
            sel.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _filter(self, text: str) -> None:
        self.model.set_filter(text)
        self._restore_selection()

    def _resort(self) -> None:
        self.model.set_sort(str(self.sort.currentData()))
        self._restore_selection()

    def select(self, key: str) -> None:
        self._selected = key
        self._restore_selection()
        self.detail.show_device(self.model.device(key))


def _why_empty(batch: Batch) -> str:
    states = [s.state for t in batch.services.values() for s in t.values()]
    if states and all(s == "down" for s in states):
        return "No devices: no daemon answers. The header says why."
    if "pending" in states:
        return "Waiting for the daemons' answers…"
    return "The daemons answered, but report no devices."
