"""The plan editor's part for engines that keep a repository (borg): labels, choices and
defaults from the engine's option schema (core/engines/specs.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from core.engines.schema import CompressionOption, Location, Schema, Switch, Text
from gui.firstrun import passphrase_problem
from gui.panes.backups.guard import guarded
from gui.panes.settings.engine_fields import CompressionField, own_options
from gui.panes.settings.keep_rules import KeepRulesBox
from gui.panes.settings.plan_form import repository_state

SETUP = [("Use an existing repository", "existing"),
         ("Create a new repository (borg init)", "init")]
SECRET_PLACE = "kept by Backup Desk"  # until the secret store says where (a worker asks it)


class BorgBox(QGroupBox):
    def __init__(self, schema: Schema, engine: str, parent: QWidget | None = None,
                 ctx: Any = None) -> None:
        super().__init__(schema.title, parent)
        self.schema = schema
        self.engine = engine  # the one whose schema this is (asked about its repositories)
        self.ctx = ctx
        self.secret_place = SECRET_PLACE
        self._setup_chosen = False  # the user picked the setup: the path no longer decides it
        self._probe = 0
        self.repository = QLineEdit(placeholderText="/mnt/usb/borg or ssh://user@host:22/path")
        self.setup = QComboBox()
        for text, _ in SETUP:
            self.setup.addItem(text)
        self.setup.activated.connect(self._chosen)
        encryption = schema.option("encryption", Text)
        self.encryption = QComboBox()
        self.encryption.addItems(list(encryption.choices))
        self.compression_field = CompressionField(
            schema.option("compression", CompressionOption).g)
        self.compression = self.compression_field.algo
        self.level = self.compression_field.level
        self.keep = KeepRulesBox()
        self.prune = QCheckBox(schema.option("prune", Switch).label)
        self.compact = QCheckBox(schema.option("compact", Switch).label)
        self.passphrase = QLineEdit()
        self.passphrase_again = QLineEdit(placeholderText="the same passphrase again")
        for edit in (self.passphrase, self.passphrase_again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_note = QLabel()
        self.secret_note.setWordWrap(True)
        self.form = form = QFormLayout(self)
        form.addRow("&" + schema.option("repository", Location).label, self.repository)
        form.addRow("", self.setup)
        form.addRow(encryption.label.replace("n", "&n", 1), self.encryption)
        form.addRow(self._label("compression").replace("m", "&m", 1), self.compression_field)
        form.addRow("Keep", self.keep)
        form.addRow("", self.prune)
        form.addRow("", self.compact)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("Again", self.passphrase_again)
        form.addRow("", self.secret_note)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._probe_repository)
        self.repository.textEdited.connect(lambda _t: self._debounce.start())
        self.setup.currentIndexChanged.connect(lambda _i: self._rows())
        self.load({}, new=True)

    def _label(self, name: str) -> str:
        o = self.schema.get(name)
        return o.label if o is not None else name

    def load(self, plan: dict[str, Any], *, new: bool) -> None:
        opts = {**self.schema.defaults(), **own_options(plan, self.schema)}
        self.repository.setText(str(opts.get("repository", "")))
        self.setup.setCurrentIndex(0)
        self._setup_chosen = False
        self.setup.setVisible(new)
        self.encryption.setCurrentText(str(opts["encryption"]))
        self.compression_field.set_text(str(opts["compression"]))
        self.keep.set_values(opts.get("keep"))
        self.prune.setChecked(bool(opts["prune"]))
        self.compact.setChecked(bool(opts["compact"]))
        self.passphrase.clear()
        self.passphrase_again.clear()
        self.new = new
        self._rows()

    def set_secret_place(self, place: str) -> None:
        """Where passphrases go ("in the OS keyring", "in ~/.config/…/secrets.json")."""
        self.secret_place = place
        self._rows()

    def _rows(self) -> None:
        creating = self.setup_choice() == "init"
        self.form.setRowVisible(self.passphrase_again, creating)
        self.passphrase.setPlaceholderText(
            ("at least 8 characters, " if creating else "") + self.secret_place
            if self.new else "unchanged (type to replace the stored one)")
        self.secret_note.setText(
            "<b>Without the passphrase the backups cannot be read</b>: keep a copy somewhere "
            f"safe (a password manager). Backup Desk keeps it {self.secret_place}."
            if creating else "")
        self.form.setRowVisible(self.secret_note, creating)

    def _chosen(self, _index: int) -> None:
        self._setup_chosen = True

    def _probe_repository(self) -> None:
        """Off the GUI thread: does the path hold a repository? Then "existing", else "init"
        (until the user picks one)."""
        if self.ctx is None or self._setup_chosen or self.setup.isHidden():
            return

        self._probe += 1
        probe = self._probe

        def show(state: str | None) -> None:
            if probe != self._probe or self._setup_chosen or state is None:
                return
            self.setup.setCurrentIndex(1 if state == "missing" else 0)

        self.ctx.workers.submit(repository_state, self.engine, self.repository.text().strip(),
                                on_result=guarded(self, show))

    def setup_choice(self) -> str:
        return "" if self.setup.isHidden() else SETUP[self.setup.currentIndex()][1]

    def passphrase_problem(self) -> str | None:
        """Why the passphrase of a new repository cannot be used (typed twice), or None."""
        if self.setup_choice() != "init" or self.encryption.currentText() == "none":
            return None
        return passphrase_problem(self.passphrase.text(), self.passphrase_again.text())

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "repository": self.repository.text().strip(),
            "encryption": self.encryption.currentText(),
            "compression": self.compression_field.text(),
            "prune": self.prune.isChecked(),
            "compact": self.compact.isChecked(),
        }
        keep = self.keep.values()
        if keep:
            opts["keep"] = keep
        return opts
