"""Remote nodes: a list and a form to add, edit and remove them (embedded by Settings)."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.grid import nodes
from core.grid.nodes import MAX_INTERVAL_S, MIN_INTERVAL_S, NodeSpec
from core.grid.poller import Limits, Poller
from gui import theme
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.devices.signals import node_signals


def test_connection(spec: NodeSpec) -> str:
    """Ask each daemon of the node once, as the poller does; one line per daemon. Worker."""
    spec = nodes.validate(spec)
    endpoints = [e for t in nodes.targets_for(spec) for e in t.endpoints]
    if not endpoints:
        return "Give at least one daemon's address."

    async def ask() -> list[str]:
        poller = Poller(Limits(connect_s=3, read_s=5, total_s=8))
        try:
            results = await asyncio.gather(*(poller.fetch(e) for e in endpoints))
        finally:
            await poller.aclose()
        return [f"{r.endpoint.label}: answers ({r.elapsed_s * 1000:.0f} ms)" if r.ok
                else f"{r.endpoint.label}: {r.error or 'no answer'}" for r in results]

    return "\n".join(asyncio.run(ask()))


class NodeEditor(QWidget):
    saved = Signal(str)  # node name, after a successful add, save or remove
    failed = Signal(str)  # the message shown under the form

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._nodes: list[NodeSpec] = []
        self.list = QListWidget()
        self.name = QLineEdit(placeholderText="lab-east")
        self.mysql = QLineEdit(placeholderText="http://HOST:8090")
        self.rsync = QLineEdit(placeholderText="http://HOST:8093")
        self.agent = QLineEdit(placeholderText="http://HOST:8093 (Backup Desk agent)")
        self.token = QLineEdit(placeholderText="file holding the agent's token")
        self.interval = QSpinBox()
        self.interval.setRange(MIN_INTERVAL_S, MAX_INTERVAL_S)
        self.interval.setValue(60)
        self.interval.setSuffix(" s")
        self.enabled = QCheckBox("Poll this node")
        self.enabled.setChecked(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.colour('error_text')};")
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&MySQL daemon", self.mysql)
        form.addRow("&rsync daemon", self.rsync)
        form.addRow("A&gent", self.agent)
        form.addRow("&Token file", self.token)
        form.addRow("Poll &every", self.interval)
        form.addRow("", self.enabled)
        self.new_button = QPushButton("Ne&w")
        self.save_button = QPushButton("&Save")
        self.remove_button = QPushButton("Remo&ve")
        self.test_button = QPushButton("Test &connection")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.remove_button, self.test_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(buttons)
        right.addWidget(self.test_result)
        right.addWidget(self.message)
        right.addStretch(1)
        lay = QHBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addLayout(right, 2)
        self.list.currentRowChanged.connect(self._show)
        self.new_button.clicked.connect(self.clear)
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self.test_button.clicked.connect(self.test)
        ctx.when_ready(self.reload)

    def reload(self) -> None:
        if self.ctx.catalogue is not None:
            self.ctx.workers.submit(nodes.list_nodes, self.ctx.catalogue,
                                    on_result=self._loaded, on_error=self._failed)

    def _loaded(self, items: list[NodeSpec]) -> None:
        current = self.list.currentItem().text() if self.list.currentItem() else None
        self._nodes = items
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([n.name + ("" if n.enabled else " (off)") for n in items])
        self.list.blockSignals(False)
        names = [n.name for n in items]
        if current is not None and current.removesuffix(" (off)") in names:
            self.list.setCurrentRow(names.index(current.removesuffix(" (off)")))

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self._nodes):
            return
        n = self._nodes[row]
        self.name.setText(n.name)
        self.mysql.setText(n.mysql_url or "")
        self.rsync.setText(n.rsync_url or "")
        self.agent.setText(n.agent_url or "")
        self.token.setText(n.token_file or "")
        self.interval.setValue(n.poll_interval_s)
        self.enabled.setChecked(n.enabled)
        self.message.clear()

    def clear(self) -> None:
        self.list.setCurrentRow(-1)
        for field in (self.name, self.mysql, self.rsync, self.agent, self.token):
            field.clear()
        self.interval.setValue(60)
        self.enabled.setChecked(True)
        self.message.clear()

    def spec(self) -> NodeSpec:
        def opt(w: QLineEdit) -> str | None:
            return w.text().strip() or None

        return NodeSpec(self.name.text(), opt(self.mysql), opt(self.rsync), opt(self.agent),
                        opt(self.token), self.interval.value(), self.enabled.isChecked())

    def save(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        spec = self.spec()
        row = self.list.currentRow()
        old = self._nodes[row].name if 0 <= row < len(self._nodes) else None

        def work() -> NodeSpec:
            if old is None:
                return nodes.add_node(cat, spec)
            return nodes.update_node(cat, old, spec)

        self.ctx.workers.submit(work, on_result=self._done, on_error=self._failed)

    def test(self) -> None:
        self.test_button.setEnabled(False)
        self.test_result.setText("Asking the daemons…")

        def shown(text: str) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(text)

        def failed(e: BaseException) -> None:
            shown(error_text(e))

        self.ctx.workers.submit(test_connection, self.spec(), on_result=shown,
                                on_error=failed)

    def edit_new(self) -> None:
        """A blank form with the cursor in Name (the Devices pane's "Add node")."""
        self.clear()
        self.name.setFocus()

    def remove(self) -> None:
        cat = self.ctx.catalogue
        row = self.list.currentRow()
        if cat is None or not 0 <= row < len(self._nodes):
            return
        name = self._nodes[row].name
        self.ctx.workers.submit(nodes.remove_node, cat, name,
                                on_result=lambda _: self._removed(name), on_error=self._failed,
                                context=self)

    def _done(self, spec: NodeSpec) -> None:
        self.message.clear()
        self._changed(spec.name)

    def _removed(self, name: str) -> None:
        self.clear()
        self._changed(name)

    def _changed(self, name: str) -> None:
        self.reload()
        node_signals(self.ctx).nodes_changed.emit()
        self.saved.emit(name)

    def _failed(self, e: BaseException) -> None:
        text = error_text(e)
        self.message.setText(text)
        self.failed.emit(text)
