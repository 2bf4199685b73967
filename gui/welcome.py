"""First run: a short welcome that creates a first plan and offers to run it now.

Shown once the catalogue is ready, only when it holds no plan (gui.firstrun decides, off the
GUI thread). "Not now" remembers the choice; plans can be made later in Settings.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from core import engines
from gui import theme
from gui.context import AppContext
from gui.errors import error_text
from gui.firstrun import (
    MIN_PASSPHRASE,
    REPOSITORY,
    Suggestion,
    create_first_plan,
    first_run_suggestion,
    mark_done,
    needs_passphrase,
    offered_engines,
    passphrase_problem,
)
from gui.run_controller import run_controller
from gui.workers import Task

# The access keys the welcome's other fields use (&Add folder, Re&move, ...).
TAKEN_KEYS = "amhnspgrew"


def with_mnemonic(text: str, taken: str) -> str:
    """`text` with an access key on its first letter that no other field uses."""
    for i, ch in enumerate(text):
        if ch.isalpha() and ch.lower() not in taken:
            return f"{text[:i]}&{text[i:]}"
    return text


class WelcomeDialog(QDialog):
    created = Signal(str, bool)  # plan name, run now

    def __init__(self, ctx: AppContext, s: Suggestion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Welcome to Backup Desk")
        self.setObjectName("welcome")
        intro = QLabel("<h2>Welcome to Backup Desk</h2>"
                       "<p>Set up your first backup in a few seconds. Everything can be changed "
                       "later in Settings.</p>")
        intro.setWordWrap(True)
        self.name = QLineEdit(s.name)
        self.sources = QListWidget()
        self.sources.addItems(s.sources)
        self.sources.setMaximumHeight(90)
        self.no_source = QLabel("No folder yet: add the folders to back up.")
        self.no_source.setStyleSheet("color: palette(placeholder-text);")
        self.no_source.setVisible(not s.sources)
        add_src = QPushButton("&Add folder…")
        add_src.clicked.connect(self._add_source)
        rm_src = QPushButton("Re&move")
        rm_src.clicked.connect(self._remove_source)
        src_buttons = QHBoxLayout()
        src_buttons.addWidget(add_src)
        src_buttons.addWidget(rm_src)
        src_buttons.addStretch(1)
        src_box = QVBoxLayout()
        src_box.addWidget(self.no_source)
        src_box.addWidget(self.sources)
        src_box.addLayout(src_buttons)
        self.destination = QLineEdit(s.destination)
        browse = QPushButton("C&hoose…")
        browse.clicked.connect(self._choose_destination)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.destination, 1)
        dest_row.addWidget(browse)
        # One choice per engine (its title), those that cannot run here greyed out.
        self.kinds: dict[str, QRadioButton] = {}
        engine_box = QVBoxLayout()
        for name in offered_engines():
            spec = engines.get(name)
            button = QRadioButton(with_mnemonic(spec.title, TAKEN_KEYS + "".join(
                b.text().partition("&")[2][:1].lower() for b in self.kinds.values())))
            button.setEnabled(name in s.runnable)
            if name not in s.runnable:
                button.setToolTip(f"Install {spec.program} to use this kind of backup.")
            button.setChecked(name == s.engine)
            button.toggled.connect(lambda _on: self._engine_changed())
            self.kinds[name] = button
            engine_box.addWidget(button)
        self.passphrase = QLineEdit(placeholderText=f"at least {MIN_PASSPHRASE} characters")
        self.passphrase_again = QLineEdit(placeholderText="the same passphrase again")
        for edit in (self.passphrase, self.passphrase_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_note = QLabel(
            f"<tt>{REPOSITORY}</tt> in that folder is encrypted with this passphrase. "
            "<b>Without it your backups cannot be read</b>: keep a copy somewhere "
            f"safe (a password manager). Backup Desk keeps it {s.secret_place}.")
        self.passphrase_note.setWordWrap(True)
        self.time = QTimeEdit(QTime.fromString(s.schedule_time, "HH:mm"))
        self.time.setDisplayFormat("HH:mm")
        when = QHBoxLayout()
        when.addWidget(QLabel("Every day at"))
        when.addWidget(self.time)
        when.addStretch(1)
        self.form = form = QFormLayout()
        form.addRow("Plan &name", self.name)
        form.addRow("Back up", src_box)
        save_to = QLabel("&Save to")
        save_to.setBuddy(self.destination)
        form.addRow(save_to, dest_row)
        form.addRow("Kind", engine_box)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("A&gain", self.passphrase_again)
        form.addRow("", self.passphrase_note)
        form.addRow("When", when)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colour('error_text')};")
        self.error.hide()
        # While the plan is made (borg init takes seconds): say so, the window stays live.
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel()
        self.progress.hide()
        self.progress_label.hide()
        buttons = QDialogButtonBox()
        self.run_now = buttons.addButton("Create and &run now",
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_only = buttons.addButton("Cr&eate", QDialogButtonBox.ButtonRole.ApplyRole)
        self.not_now = buttons.addButton("Not no&w", QDialogButtonBox.ButtonRole.RejectRole)
        self.run_now.setDefault(True)
        self.run_now.clicked.connect(lambda: self.submit(run_now=True))
        self.create_only.clicked.connect(lambda: self.submit(run_now=False))
        self.not_now.clicked.connect(self.dismiss)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.progress)
        lay.addWidget(buttons)
        self._engine_changed()
        self.resize(560, self.sizeHint().height())

    def _engine_changed(self) -> None:
        secret = bool(needs_passphrase(self.engine()))
        for w in (self.passphrase, self.passphrase_again, self.passphrase_note):
            self.form.setRowVisible(w, secret)

    def engine(self) -> str:
        return next(name for name, b in self.kinds.items() if b.isChecked())

    def source_list(self) -> list[str]:
        return [self.sources.item(i).text() for i in range(self.sources.count())]

    def submit(self, run_now: bool) -> None:
        cat = self.ctx.catalogue
        if cat is None:
            return
        passphrase = ""
        if needs_passphrase(self.engine()):
            passphrase = self.passphrase.text()
            problem = passphrase_problem(passphrase, self.passphrase_again.text())
            if problem:
                self._show_error(problem)
                self.passphrase.setFocus()
                return
        self._busy(True)
        self.error.hide()
        self.ctx.workers.submit(
            create_first_plan, cat, self.ctx.config.paths, self.name.text(), self.engine(),
            self.source_list(), self.destination.text(),
            f"daily at {self.time.time().toString('HH:mm')}", passphrase,
            on_result=lambda name: self._created(name, run_now), on_error=self._failed,
            context=self)

    def dismiss(self) -> None:
        self.ctx.workers.submit(mark_done, self.ctx.config.paths)
        self.reject()

    def _created(self, name: str, run_now: bool) -> None:
        self._busy(False)
        self.created.emit(name, run_now)
        self.accept()

    def _failed(self, e: BaseException) -> None:
        self._busy(False)
        self._show_error(error_text(e))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _busy(self, busy: bool) -> None:
        for b in (self.run_now, self.create_only, self.not_now):
            b.setEnabled(not busy)
        self.progress_label.setText(
            f"Creating the encrypted repository {REPOSITORY} (borg init)… this takes a few "
            "seconds." if engines.keeps_repository(self.engine()) else "Creating the plan…")
        self.progress_label.setVisible(busy)
        self.progress.setVisible(busy)

    def _add_source(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder to back up", os.path.expanduser("~"))
        if d and d not in self.source_list():
            self.sources.addItem(d)
            self.sources.setCurrentRow(self.sources.count() - 1)
        self.no_source.setVisible(not self.source_list())

    def _remove_source(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))
        self.no_source.setVisible(not self.source_list())

    def _choose_destination(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Where to save backups",
                                             self.destination.text())
        if d:
            self.destination.setText(d)


def start_plan(ctx: AppContext, name: str, run_now: bool) -> None:
    ctx.jobs_changed.emit()
    if run_now:
        run_controller(ctx).start(name)


def offer_welcome(ctx: AppContext, parent: QWidget) -> Task | None:
    """Once the catalogue is ready: show the welcome if this is a first run."""
    cat = ctx.catalogue
    if cat is None:
        return None

    def show(s: Suggestion | None) -> None:
        if s is None:
            return
        dlg = WelcomeDialog(ctx, s, parent)
        dlg.created.connect(lambda name, run: start_plan(ctx, name, run))
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()

    return ctx.workers.submit(first_run_suggestion, cat, ctx.config.paths, on_result=show)
