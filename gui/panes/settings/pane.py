"""Settings pane: plans (list, editor, run now), remote nodes, notifications, where state lives."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.guard import guarded
from gui.panes.backups.run_bar import RunBar
from gui.panes.settings.notifications import NotificationsBox
from gui.panes.settings.plan_editor import PlanEditor
from gui.panes.settings.plan_form import delete_plan
from gui.panes.settings.plan_list import PlanList
from gui.run_controller import run_controller


class StorageBox(QWidget):
    """Where state lives: catalogue, logs, configuration, and where passwords are kept."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        paths = ctx.config.paths
        self.label = QLabel(
            f"<b>Catalogue:</b> {ctx.config.catalogue_url}<br>"
            f"<b>Logs:</b> {paths.log_dir}<br>"
            f"<b>Configuration:</b> {paths.config_dir}<br>"
            f"<b>Data:</b> {paths.data_dir}")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secrets = QLabel("Passwords: checking the OS keyring…")
        self.secrets.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.secrets)
        lay.addStretch(1)

        def describe() -> str:
            from core.secrets import SecretStore

            return SecretStore(paths).description

        ctx.workers.submit(describe, on_result=guarded(self.secrets, self.secrets.setText),
                           on_error=guarded(self.secrets,
                                            lambda e: self.secrets.setText(error_text(e))))


class SettingsPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runs = run_controller(ctx)
        self.plans = PlanList(ctx)
        self.editor = PlanEditor(ctx)
        self.run_bar = RunBar(ctx)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        editor_side = QWidget()
        el = QVBoxLayout(editor_side)
        el.setContentsMargins(0, 0, 0, 0)
        el.addWidget(scroll, 1)
        el.addWidget(self.editor.button_bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plans)
        split.addWidget(editor_side)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        self.plans.setMaximumWidth(320)
        plans_tab = QWidget()
        pl = QVBoxLayout(plans_tab)
        pl.addWidget(self.run_bar)
        pl.addWidget(split, 1)
        from gui.panes.devices.node_editor import NodeEditor

        self.nodes = NodeEditor(ctx)
        self.notifications = NotificationsBox(ctx)
        self.storage = StorageBox(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(plans_tab, "Plans")
        self.tabs.addTab(self.nodes, "Remote nodes")
        self.tabs.addTab(self.notifications, "Notifications")
        from gui.panes.settings.service_box import ServiceBox

        self.tabs.addTab(ServiceBox(ctx), "Background service")
        self.tabs.addTab(self.storage, "Where state lives")
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        self.plans.selected.connect(self.editor.load)
        self.plans.new_button.clicked.connect(lambda: self.editor.name.setFocus())
        self.plans.delete_button.clicked.connect(self.delete_current)
        self.plans.run_button.clicked.connect(self.run_current)
        self.editor.saved.connect(self.plans.reload)
        ctx.when_ready(self.plans.reload)

    # -- the main window's shortcuts ------------------------------------------------------------
    def new_plan(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.plans.new()
        self.editor.name.setFocus()

    def refresh(self) -> None:
        self.plans.reload()
        self.nodes.reload()

    def run_now_shortcut(self) -> None:
        self.run_current()

    def delete_selected(self) -> None:
        if self.tabs.currentWidget() is self.nodes:
            self.nodes.remove()
        else:
            self.delete_current()

    def run_current(self) -> None:
        name = self.plans.current_name()
        if name:
            self.runs.start(name)

    def delete_current(self) -> None:
        name = self.plans.current_name()
        cat = self.ctx.catalogue
        if not name or cat is None:
            return
        if not self.ask("Delete plan", f"Delete plan {name!r}? Its backups and history stay "
                                       "listed; its schedule and stored passwords go."):
            return
        self.ctx.workers.submit(delete_plan, cat, self.ctx.config.paths, name,
                                on_result=guarded(self, lambda _: self._deleted()),
                                on_error=guarded(self, self.editor._failed))

    def _deleted(self) -> None:
        from gui.panes.settings.plan_editor import wake_scheduler

        wake_scheduler()
        self.editor.load(None)
        self.plans.reload()

    def ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

