"""A new encryption key's recovery key, shown once (as `plan add --encrypt` prints it): copy it,
or save it to a file readable only by you."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.keys import recovery_text


def write_private(path: Path, text: str) -> None:
    """`text` to `path`, mode 0600, whole or not at all (a temporary file renamed)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RecoveryKeyDialog(QDialog):
    def __init__(self, plan: str, secret: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Recovery key of plan {plan}")
        self.plan = plan
        head = QLabel(f"Plan {plan!r} now encrypts its backups with this key:")
        self.key = QLineEdit(secret)
        self.key.setReadOnly(True)
        self.key.setMinimumWidth(560)
        self.text = QLabel(recovery_text(plan))
        self.text.setWordWrap(True)
        self.message = QLabel()
        self.copy_button = QPushButton("&Copy")
        self.save_button = QPushButton("&Save to file…")
        self.close_button = close = QPushButton("I have stored it")
        self.copy_button.clicked.connect(self._copy)
        self.save_button.clicked.connect(self._save)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        for w in (head, self.key, self.text, self.message):
            lay.addWidget(w)
        lay.addLayout(buttons)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.key.text())
        self.message.setText("Copied.")

    def _save(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the recovery key",
                                              str(Path.home() / f"{self.plan}-recovery-key.txt"))
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> None:
        try:
            write_private(path, self.key.text() + "\n")
        except OSError as e:
            self.message.setText(f"Cannot write {path}: {e.strerror or e}.")
            return
        self.message.setText(f"Saved to {path} (readable only by you).")
