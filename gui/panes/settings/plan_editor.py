"""The plan editor: every option of a plan, validated as you type; the engines, their
option groups and choices come from the engine registry and each engine's option schema."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core import engines
from core.engines import EngineSpec, Storage
from core.errors import BackupDeskError, ConfigError
from core.secrets import SecretStore, db_secret_key
from gui import theme
from gui.context import AppContext
from gui.errors import error_text
from gui.panes.backups.guard import guarded
from gui.panes.settings.archive_box import ArchiveBox
from gui.panes.settings.borg_box import BorgBox
from gui.panes.settings.plan_form import PlanForm, Saved, save_plan, secret_place
from gui.panes.settings.plan_wide_box import PlanWideBox
from gui.panes.settings.recovery_dialog import RecoveryKeyDialog
from gui.panes.settings.schedules_box import SchedulesBox
from gui.window_scheduler import SchedulerHost


class SourceList(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        add_files = QPushButton("Add files…")
        add_folder = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        add_files.clicked.connect(self._add_files)
        add_folder.clicked.connect(self._add_folder)
        remove.clicked.connect(lambda: [self.list.takeItem(self.list.row(i))
                                        for i in self.list.selectedItems()])
        buttons = QHBoxLayout()
        for b in (add_files, add_folder, remove):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list)
        lay.addLayout(buttons)

    def _add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to back up")
        self.add(files)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to back up")
        if folder:
            self.add([folder])

    def add(self, paths: list[str]) -> None:
        have = set(self.values())
        new = [p for p in paths if p and p not in have]
        self.list.addItems(new)
        if new:  # the new row is where the eye and the keyboard go next
            self.list.setCurrentRow(self.list.count() - 1)
            self.list.setFocus()

    def values(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_values(self, values: list[str]) -> None:
        self.list.clear()
        self.list.addItems(values)


class PlanEditor(QWidget):
    saved = Signal(str)  # plan name
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.original: str | None = None
        self.plan_id: int | None = None
        self.title = QLabel()
        self.name = QLineEdit(placeholderText="documents")
        self.engine = QComboBox()
        for i, spec in enumerate(engines.engines().values()):
            self.engine.addItem(spec.name)
            self.engine.setItemData(i, spec.title, Qt.ItemDataRole.ToolTipRole)
        self.enabled = QCheckBox("Enabled (runs on its schedule)")
        self.sources = SourceList()
        self.excludes = QPlainTextEdit()
        self.excludes.setPlaceholderText("one glob per line: *.tmp, cache, Documents/build/*")
        self.excludes.setMaximumHeight(70)
        self.schedules = SchedulesBox(ctx)
        self.schedule = self.schedules.fields["backup"]
        # One option group per kind of storage, from the first engine of that kind.
        files, repository = _first(Storage.ARTIFACTS), _first(Storage.REPOSITORY)
        self.archive = ArchiveBox(ctx, files.options)
        self.borg = BorgBox(repository.options, repository.name, ctx=ctx)
        self.wide = PlanWideBox()
        self.archive.destinations.changed.connect(
            lambda: self.wide.set_destinations(self.archive.destinations.values()))
        self.recovery: RecoveryKeyDialog | None = None  # the last one shown
        self.save_button = QPushButton("&Save plan")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Forget the changes: show the plan as it is saved")
        self._plan: dict[str, Any] | None = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(f"color: {theme.colour('warn_text')};")
        self.notice.setVisible(False)
        general = QGroupBox("Plan")
        form = QFormLayout(general)
        form.addRow("&Name", self.name)
        form.addRow("&Engine", self.engine)
        form.addRow("", self.enabled)
        form.addRow("Sources", self.sources)
        form.addRow("E&xclude", self.excludes)
        # Save and Cancel stay in sight: the Settings pane puts this bar below its scroll area.
        self.button_bar = QWidget()
        buttons = QHBoxLayout(self.button_bar)
        buttons.setContentsMargins(0, 4, 0, 0)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.message, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(general)
        lay.addWidget(self.archive)
        lay.addWidget(self.borg)
        lay.addWidget(self.schedules)
        lay.addWidget(self.wide)
        lay.addWidget(self.notice)
        lay.addStretch(1)
        self.engine.currentTextChanged.connect(self._engine)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(lambda: self.load(self._plan))
        self.load(None)
        ctx.workers.submit(secret_place, ctx.config.paths,
                           on_result=guarded(self, self.borg.set_secret_place))

    def _engine(self, engine: str) -> None:
        spec = engines.get(engine)
        storage = spec.storage
        self.archive.setVisible(storage is Storage.ARTIFACTS)
        self.wide.encryption_box.setVisible(storage is Storage.ARTIFACTS)
        self.wide.set_engine(spec)
        self.wide.shared.setEnabled(storage is Storage.ARTIFACTS)
        self.borg.setVisible(storage is Storage.REPOSITORY)
        self.schedules.set_engine(engine)

    def load(self, plan: dict[str, Any] | None) -> None:
        """Show a saved plan (plan_json), or an empty form for a new one."""
        p = plan or {}
        self._plan = plan
        self.original = p.get("name")
        self.plan_id = p.get("id")
        self.title.setText(f"<h3>{'Edit plan ' + p['name'] if plan else 'New plan'}</h3>")
        self.name.setText(p.get("name", ""))
        self.engine.setCurrentText(p.get("engine", self.engine.itemText(0)))
        self.engine.setEnabled(plan is None)
        self.enabled.setChecked(bool(p.get("enabled", True)))
        self.sources.set_values(list(p.get("sources", [])))
        self.excludes.setPlainText("\n".join(p.get("excludes", [])))
        self.schedules.load(list(p.get("schedules", [])))
        self.archive.load(p)
        self.borg.load(p, new=plan is None)
        cat = self.ctx.catalogue
        self.wide.load(p, here_by_default=cat is not None and not cat.is_sqlite)
        self.databases_lookup()
        self._engine(self.engine.currentText())
        self.message.clear()

    def databases_lookup(self) -> None:
        plan_id, paths = self.plan_id, self.ctx.config.paths
        if plan_id is None:
            self.archive.databases.lookup = None
            return

        def lookup(url: str) -> str | None:
            return SecretStore(paths).get(db_secret_key(plan_id, url))

        self.archive.databases.lookup = lookup

    def form(self) -> PlanForm:
        """The form as a PlanForm; ConfigError for what can be told without the disk."""
        if not self.schedules.valid:
            raise ConfigError(self.schedules.problem())
        engine = self.engine.currentText()
        excludes = [x.strip() for x in self.excludes.toPlainText().splitlines() if x.strip()]
        sched = self.schedules.values()
        f = PlanForm(self.name.text().strip(), engine, self.enabled.isChecked(),
                     self.sources.values(), excludes, schedule=sched.expressions["backup"],
                     schedules=sched.expressions, timezone=sched.timezone,
                     missed=sched.missed)
        f.host = self.wide.host_value()
        keeps_repository = engines.keeps_repository(engine)
        wide = self.wide.options(encryptable=not keeps_repository)
        if not keeps_repository:
            if not self.archive.destinations.all_ok():
                raise ConfigError("A destination cannot be used: see the message under it.")
            f.destinations = self.archive.destinations.values()
            f.options = {**self.archive.options(), **wide}
            f.shared = self.wide.shared_values()
        else:
            f.options = {**self.borg.options(), **wide}
            if problem := self.borg.passphrase_problem():
                raise ConfigError(problem)
            f.passphrase = self.borg.passphrase.text()
            f.repository_setup = self.borg.setup_choice()
        return f

    def save(self) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        try:
            form = self.form()
        except BackupDeskError as e:
            self._failed(e)
            return
        self.save_button.setEnabled(False)
        self.message.setText("Saving…")
        self.ctx.workers.submit(save_plan, cat, self.ctx.config.paths, form, self.original,
                                on_result=guarded(self, self._saved),
                                on_error=guarded(self, self._failed))

    def _saved(self, result: Saved) -> None:
        self.save_button.setEnabled(True)
        self.load(result.plan)
        self.borg.passphrase.clear()
        self.message.setStyleSheet(f"color: {theme.colour('ok_text')};")
        self.message.setText(f"Saved plan {result.plan['name']!r}.")
        if result.notice:
            self.notice.setText(result.notice)
            self.notice.setVisible(True)
        wake_scheduler()
        if result.recovery:
            self.recovery = RecoveryKeyDialog(result.plan["name"], result.recovery, self)
            self.recovery.open()
        elif result.encryption_off:
            box = QMessageBox(QMessageBox.Icon.Information, "Encryption off",
                              result.encryption_off, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("encryption-off")
            box.open()
        self.saved.emit(result.plan["name"])

    def _failed(self, e: BaseException) -> None:
        self.save_button.setEnabled(True)
        text = error_text(e)
        self.message.setStyleSheet(f"color: {theme.colour('error_text')};")
        self.message.setText(text)
        self.failed.emit(text)


def _first(storage: Storage) -> EngineSpec:
    return next(s for s in engines.engines().values() if s.storage is storage)


def wake_scheduler() -> bool:
    """Tell the app's running scheduler (gui.app makes it a child of the main window) to
    re-read the schedules now; False when none runs."""
    woken = False
    for w in QApplication.topLevelWidgets():
        for host in w.findChildren(SchedulerHost):
            host.wake()
            woken = True
    return woken
