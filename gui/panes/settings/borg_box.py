"""The borg part of the plan editor, built from the option names of core/engines/specs.py."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QWidget,
)

from gui.panes.settings.keep_rules import KeepRulesBox

DEFAULT_ENCRYPTIONS = ("none", "authenticated", "authenticated-blake2", "repokey",
                       "repokey-blake2", "keyfile", "keyfile-blake2")
SETUP = [("Use an existing repository", "existing"),
         ("Create a new repository (borg init)", "init")]


def encryptions() -> tuple[str, ...]:
    from core.engines import specs

    return tuple(getattr(specs, "ENCRYPTIONS", DEFAULT_ENCRYPTIONS))


class BorgBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Borg engine", parent)
        self.repository = QLineEdit(placeholderText="/mnt/usb/borg or ssh://user@host:22/path")
        self.setup = QComboBox()
        for text, _ in SETUP:
            self.setup.addItem(text)
        self.encryption = QComboBox()
        self.encryption.addItems(list(encryptions()))
        self.compression = QLineEdit(placeholderText="lz4, zstd,6 or none")
        self.keep = KeepRulesBox()
        self.prune = QCheckBox("Prune after each backup (apply the keep rules)")
        self.compact = QCheckBox("Compact the repository after pruning")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow("Repository", self.repository)
        form.addRow("", self.setup)
        form.addRow("Encryption", self.encryption)
        form.addRow("Compression", self.compression)
        form.addRow("Keep", self.keep)
        form.addRow("", self.prune)
        form.addRow("", self.compact)
        form.addRow("Passphrase", self.passphrase)
        self.load({}, new=True)

    def load(self, plan: dict[str, Any], *, new: bool) -> None:
        opts = plan.get("options", {}) if plan.get("engine") == "borg" else {}
        self.repository.setText(str(opts.get("repository", "")))
        self.setup.setCurrentIndex(0)
        self.setup.setVisible(new)
        self.encryption.setCurrentText(str(opts.get("encryption", "repokey")))
        self.compression.setText(str(opts.get("compression", "lz4")))
        self.keep.set_values(opts.get("keep"))
        self.prune.setChecked(bool(opts.get("prune", True)))
        self.compact.setChecked(bool(opts.get("compact", True)))
        self.passphrase.clear()
        self.passphrase.setPlaceholderText(
            "kept in the OS keyring" if new else "unchanged (type to replace the stored one)")

    def setup_choice(self) -> str:
        return "" if self.setup.isHidden() else SETUP[self.setup.currentIndex()][1]

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {
            "repository": self.repository.text().strip(),
            "encryption": self.encryption.currentText(),
            "compression": self.compression.text().strip() or "lz4",
            "prune": self.prune.isChecked(),
            "compact": self.compact.isChecked(),
        }
        keep = self.keep.values()
        if keep:
            opts["keep"] = keep
        return opts
