"""Restore, copy out and delete dialogs. Each returns a request; the pane runs it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core import engines
from core.backups import BackupInfo
from core.engines import Capability
from gui.errors import error_text
from gui.panes.backups.controller import RestoreRequest, needs_overwrite
from gui.panes.backups.filters import type_label
from gui.panes.backups.guard import guarded
from gui.workers import Workers

LOADABLE = (".pgdump", ".sql")


class FolderField(QWidget):
    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(placeholderText=placeholder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(browse)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        if path:
            self.edit.setText(path)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None


def buttons(dialog: QDialog, ok: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    box.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class RestoreDialog(QDialog):
    """Whole backup or selected paths into a folder, or a dump into a database."""

    def __init__(self, info: BackupInfo, parent: QWidget | None = None,
                 workers: Workers | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.workers = workers
        self.accepted_request: RestoreRequest | None = None
        self.wants_browse = False
        self.setWindowTitle(f"Restore backup {info.id}")
        self.to_folder = QRadioButton("Into a folder")
        self.to_db = QRadioButton("Load a database dump into a database")
        group = QButtonGroup(self)
        group.addButton(self.to_folder)
        group.addButton(self.to_db)
        self.to_folder.setChecked(True)
        self.folder = FolderField("/path/to/an empty folder")
        self.whole = QCheckBox("The whole backup")
        self.whole.setChecked(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Path"])
        self.tree.setEnabled(False)
        self.tree_note = QLabel("Loading the list of files…")
        self.dump = QComboBox()
        self.dump.addItems([a.name for a in info.artifacts
                            if a.kind == "database" and a.name.endswith(LOADABLE)])
        self.url = QLineEdit(placeholderText="postgresql://user:password@host:5432/db or "
                                             "mysql://user@host:3306/db")
        self.to_db.setEnabled(self.dump.count() > 0)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>{info.plan}</b>: {type_label(info.type)} backup {info.id}, "
                             f"{info.name}"))
        lay.addWidget(self.to_folder)
        lay.addWidget(self.folder)
        lay.addWidget(self.whole)
        lay.addWidget(self.tree_note)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.to_db)
        db = QHBoxLayout()
        db.addWidget(self.dump)
        db.addWidget(self.url, 1)
        lay.addLayout(db)
        self.problem = problem_label()
        lay.addWidget(self.problem)
        self.buttons = buttons(self, "&Restore")
        lay.addWidget(self.buttons)
        if engines.can(info.engine, Capability.BROWSE):
            self._borg_layout()
        self.whole.toggled.connect(lambda on: self.tree.setEnabled(not on))
        self.to_folder.toggled.connect(self._mode)
        self._mode()
        self.resize(620, 520)

    def _borg_layout(self) -> None:
        """A borg archive has no manifest: its files are picked in the archive browser."""
        self.whole.setEnabled(False)
        self.whole.setText("The whole backup (to pick files, use Browse contents…)")
        self.tree.setVisible(False)
        self.tree_note.setVisible(False)
        browse = self.buttons.addButton("&Browse contents…",
                                        QDialogButtonBox.ButtonRole.ActionRole)
        browse.clicked.connect(self._browse)

    def _browse(self) -> None:
        self.wants_browse = True
        self.reject()

    def accept(self) -> None:
        """Restore only with what it needs; a folder that is not empty is confirmed first
        (No is the default, and No keeps this dialog open with what is ticked)."""
        req = self.request()
        if isinstance(req, str):
            self._problem(req)
            return
        if req.to is None or self.workers is None:
            self._accept(req)
            return
        self.setEnabled(False)
        self.workers.submit(needs_overwrite, req.to,
                            on_result=guarded(self, lambda full: self._checked(req, full)),
                            on_error=guarded(self, lambda e: self._problem(error_text(e))))

    def _checked(self, req: RestoreRequest, full: bool) -> None:
        self.setEnabled(True)
        if full and req.to is not None:
            refused = refused_to_fill(req.to, self)
            if refused:
                self._problem(refused)
                return
            req.overwrite = True
        self._accept(req)

    def _problem(self, text: str) -> None:
        self.setEnabled(True)
        self.problem.setText(text)
        self.problem.setVisible(True)

    def _accept(self, req: RestoreRequest) -> None:
        self.accepted_request = req
        super().accept()

    def _mode(self) -> None:
        files = self.to_folder.isChecked()
        self.folder.setEnabled(files)
        self.whole.setEnabled(files and not engines.can(self.info.engine, Capability.BROWSE))
        self.tree.setEnabled(files and not self.whole.isChecked())
        self.dump.setEnabled(not files)
        self.url.setEnabled(not files)

    def set_paths(self, paths: list[str]) -> None:
        """Fill the picker with the backup's paths (loaded by the pane in a worker)."""
        self.tree.clear()
        items: dict[str, QTreeWidgetItem] = {}

        def add(path: str) -> QTreeWidgetItem:
            found = items.get(path)
            if found is not None:
                return found
            head, _, name = path.rpartition("/")
            item = QTreeWidgetItem([name])
            item.setData(0, Qt.ItemDataRole.UserRole, path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsAutoTristate)
            item.setCheckState(0, Qt.CheckState.Unchecked)
            if head:
                add(head).addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            items[path] = item
            return item

        for path in sorted(paths):
            add(path)
        self.tree_note.setText(f"{len(paths)} paths; tick what to restore:")

    def set_paths_error(self, text: str) -> None:
        self.tree_note.setText(f"The list of files is not available: {text}")

    def selected_paths(self) -> list[str]:
        out: list[str] = []

        def walk(item: QTreeWidgetItem | None) -> None:
            if item is None:
                return
            if item.checkState(0) == Qt.CheckState.Checked:
                out.append(str(item.data(0, Qt.ItemDataRole.UserRole)))
                return
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return out

    def request(self) -> RestoreRequest | str:
        """The request, or a sentence saying what is missing."""
        if self.to_db.isChecked():
            url = self.url.text().strip()
            if not url:
                return "Enter the database to load the dump into."
            return RestoreRequest(self.info.id, into_database=url,
                                  dump=self.dump.currentText() or None)
        to = self.folder.path()
        if to is None or not to.is_absolute():
            return "Choose the folder to restore into (an absolute path)."
        paths = [] if self.whole.isChecked() else self.selected_paths()
        if not self.whole.isChecked() and not paths:
            return "Tick the paths to restore, or choose the whole backup."
        return RestoreRequest(self.info.id, to=to, paths=paths)


class CopyOutDialog(QDialog):
    def __init__(self, info: BackupInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(f"Copy out backup {info.id}")
        self.folder = FolderField("/path/to/a folder")
        self.chain = QCheckBox("Also the backups it builds on (its chain)")
        self.chain.setEnabled(info.parent_id is not None)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Save the files of backup {info.id} ({info.name}) from a "
                             "healthy destination, each checked against its SHA-256, into:"))
        lay.addWidget(self.folder)
        lay.addWidget(self.chain)
        lay.addWidget(buttons(self, "Copy out"))

    def target(self) -> Path | None:
        p = self.folder.path()
        return p if p is not None and p.is_absolute() else None


class DeleteDialog(QDialog):
    """Says what goes (the chain after a full) and whether files go too."""

    def __init__(self, description: str, parent: QWidget | None = None,
                 engine: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Delete backup")
        text = QLabel(description)
        text.setWordWrap(True)
        self.record_only = QRadioButton("Delete the record only (keep the files)")
        self.with_files = QRadioButton("Delete the record and its files at every destination")
        self.record_only.setChecked(True)
        if engines.keeps_repository(engine):  # deleted in its repository (core.jobs.delete)
            self.with_files.setText("Delete the archive in its repository and its record")
            self.with_files.setChecked(True)
            self.record_only.setVisible(False)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(self.record_only)
        lay.addWidget(self.with_files)
        lay.addWidget(buttons(self, "Delete"))

    @property
    def files(self) -> bool:
        return self.with_files.isChecked()


def break_lock_box(plan: str, parent: QWidget | None = None) -> QMessageBox:
    """The explicit confirmation before `borg break-lock`; No is the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Break the repository lock",
                      f"Break the lock of the borg repository of plan {plan!r}?", parent=parent)
    box.setInformativeText(
        "Only do this when no borg process uses the repository (on this computer or any "
        "other): breaking the lock of a running borg damages the repository. A lock left by "
        "a crashed or killed borg is safe to break.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box


def overwrite_box(folder: Path | None, parent: QWidget | None = None) -> QMessageBox:
    """Restore into a folder that holds files? No is the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Folder not empty",
                      f"{folder} is not empty. Restore into it anyway, replacing files that "
                      "have the same names?", parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box


def refused_to_fill(folder: Path, parent: QWidget | None = None) -> str:
    """Ask before restoring into a folder that holds files: "" on Yes, else what to do."""
    box = overwrite_box(folder, parent)
    box.exec()
    if confirmed(box):
        return ""
    return f"{folder} is not empty: choose another folder, or confirm replacing its files."


def problem_label() -> QLabel:
    """A dialog's red line saying what stops it, hidden until there is something."""
    label = QLabel()
    label.setObjectName("problem")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.setVisible(False)
    return label


def confirmed(box: QMessageBox, _answer: object = None) -> bool:
    """True if the user pressed Yes in `box` (after it was shown)."""
    return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
