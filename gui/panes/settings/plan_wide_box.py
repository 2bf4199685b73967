"""The plan editor's plan-wide options (core.plan_wide.SCHEMAS: encryption, remote settings, the
watchdog's, hooks, pings, notifications): one box per schema, one field per option, labels,
help and checks from the schema. A secret is never shown back: a stored ping or notification
URL shows as its placeholder ("https://(secret)"), kept while left as it is; an S3 key field
stays empty (empty keeps the stored key). An emptied field removes its option."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core import plan_wide
from core.engines import EngineSpec
from core.engines.schema import Choice, Number, Option, Secret, TextList
from core.errors import ConfigError
from core.hosts import this_host
from core.keys import ENCRYPTION, OPTION, recipient_of
from core.remote.location import is_remote
from gui import theme


class OptionField(QLineEdit):
    """One plan-wide option as text: a list is space-separated, a number is digits."""

    def __init__(self, option: Option, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.setToolTip(option.help)
        self.setAccessibleName(option.label)
        if isinstance(option, Secret):
            self.setEchoMode(QLineEdit.EchoMode.Password)
            self.setPlaceholderText("empty keeps the stored key")
        elif option.default is not None:  # what applies while the field is empty
            self.setPlaceholderText(f"default {option.text(option.default)}")
        else:
            self.setPlaceholderText("not set")
        self.problem = ""  # why the text cannot be saved, checked as you type
        self.textChanged.connect(lambda _: self._check())

    def _check(self) -> None:
        try:
            self.checked()
            self.problem = ""
        except ConfigError as e:
            self.problem = str(e)
        self.setToolTip(self.problem or self.option.help)
        self.setStyleSheet(f"border: 1px solid {theme.colour('error_text')};"
                           if self.problem else "")

    def checked(self) -> Any:
        """value(), checked by the option (ConfigError naming the field)."""
        value = self.value()
        if value is not None and not self.option.is_empty(value):
            try:
                self.option.check(value)
            except ConfigError as e:
                raise ConfigError(f"{self.option.label}: {e}") from e
        return value

    def load(self, value: Any) -> None:
        if isinstance(self.option, Secret) or value is None:
            self.clear()
        elif isinstance(value, list):
            self.setText(" ".join(str(v) for v in value))
        else:
            self.setText(self.option.text(value))

    def value(self) -> Any:
        """The value to save (checked by the option); None: leave the stored one."""
        text = self.text().strip()
        if isinstance(self.option, Secret):
            return text or None
        if isinstance(self.option, TextList):
            return text.split()
        if isinstance(self.option, Number) and text.isdigit():
            return int(text)
        return text


class ChoiceField(QComboBox):
    """A Choice option: unset ("not set", or "default: ..." where the option has one; removes
    it) or one of its values, in the editor's wording."""

    def __init__(self, option: Choice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.setToolTip(option.help)
        self.setAccessibleName(option.label)
        default = option.values.get(str(option.default)) or option.default
        self.addItem(f"default: {default}" if default else "not set", "")
        for value, wording in option.values.items():
            self.addItem(wording or value, value)

    def load(self, value: Any) -> None:
        self.setCurrentIndex(max(0, self.findData(value or "")))

    def checked(self) -> Any:
        return self.currentData()


class PlanWideBox(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, OptionField | ChoiceField] = {}
        self.boxes: dict[str, QGroupBox] = {}  # by schema title
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        encryption = ENCRYPTION.options[0]
        self.encrypt = QCheckBox(encryption.label)
        self.encrypt.setToolTip(encryption.help)
        self.encryption_box = QGroupBox(ENCRYPTION.title)
        QVBoxLayout(self.encryption_box).addWidget(self.encrypt)
        lay.addWidget(self.encryption_box)
        self.host_box = self._host_box()
        lay.addWidget(self.host_box)
        for schema in plan_wide.SCHEMAS:
            shown = [o for o in schema.options if o.flags and o.name != OPTION]
            if not shown:
                continue  # set elsewhere (a borgmatic import)
            box = QGroupBox(schema.title[:1].upper() + schema.title[1:])
            self.boxes[schema.title] = box
            form = QFormLayout(box)
            for o in shown:
                self.fields[o.name] = (ChoiceField(o) if isinstance(o, Choice)
                                       else OptionField(o))
                form.addRow(o.label, self.fields[o.name])
            lay.addWidget(box)

    def set_engine(self, spec: EngineSpec) -> None:
        """Show the boxes whose options act for `spec`'s plans (remote settings need an
        engine that writes to remote destinations)."""
        for schema in plan_wide.SCHEMAS:
            if schema.title in self.boxes:
                self.boxes[schema.title].setVisible(not schema.needs
                                                    or schema.needs in spec.capabilities)

    def _host_box(self) -> QGroupBox:
        box = QGroupBox("Host and shared destinations")
        self.host = QComboBox()
        self.host.addItem(f"This host ({this_host()})", "here")
        self.host.addItem("Any host", "any")
        self.host.addItem("A named host", "named")
        self.host.setToolTip("the host whose scheduler runs the plan (a shared catalogue)")
        self.host_name = QLineEdit(placeholderText="host name")
        self.host.currentIndexChanged.connect(
            lambda _: self.host_name.setEnabled(self.host.currentData() == "named"))
        row = QHBoxLayout()
        row.addWidget(self.host)
        row.addWidget(self.host_name, 1)
        self.shared = QWidget()
        self.shared_boxes: list[QCheckBox] = []
        self.shared_column = QVBoxLayout(self.shared)
        self.shared_column.setContentsMargins(0, 0, 0, 0)
        self.shared.setToolTip("destinations on a mount every host sees (NFS, SMB, S3): any "
                               "host verifies and restores the copies there")
        form = QFormLayout(box)
        form.addRow("Runs on", row)
        form.addRow("Shared destinations", self.shared)
        return box

    def load(self, plan: dict[str, Any], here_by_default: bool) -> None:
        opts = dict(plan.get("options") or {})
        self.encrypt.setChecked(recipient_of(opts) is not None)
        for name, f in self.fields.items():
            f.load(opts.get(name))
        host = plan.get("host") if plan else (this_host() if here_by_default else None)
        kind = "any" if not host else "here" if host == this_host() else "named"
        self.host.setCurrentIndex(self.host.findData(kind))
        self.host_name.setText(host if kind == "named" else "")
        self.host_name.setEnabled(kind == "named")
        self.set_destinations([d["location"] for d in plan.get("destinations", [])],
                              {d["location"] for d in plan.get("destinations", [])
                               if d.get("shared")})

    def set_destinations(self, locations: list[str], shared: set[str] | None = None) -> None:
        """The destinations to offer as shared; those checked stay checked."""
        keep = set(self.shared_values()) if shared is None else shared
        if shared is None and [b.text() for b in self.shared_boxes] == locations:
            return
        lay = self.shared_column
        for b in self.shared_boxes:
            lay.removeWidget(b)
            b.deleteLater()
        self.shared_boxes = [QCheckBox(loc) for loc in locations]
        for b in self.shared_boxes:
            remote = is_remote(b.text())  # every host reaches a remote: always shared
            b.setChecked(remote or b.text() in keep)
            b.setEnabled(not remote)
            if remote:
                b.setToolTip("a remote destination is shared by every host")
            lay.addWidget(b)

    def shared_values(self) -> list[str]:
        return [b.text() for b in self.shared_boxes if b.isChecked()]

    def host_value(self) -> str:
        """The plan's host ('' any host); ConfigError for a named host left empty."""
        kind = self.host.currentData()
        if kind == "named" and not self.host_name.text().strip():
            raise ConfigError("Name the host that runs the plan, or choose this host or any "
                              "host.")
        return {"here": this_host(), "any": ""}.get(kind, self.host_name.text().strip())

    def options(self, encryptable: bool) -> dict[str, Any]:
        """The plan-wide options as the form gives them, each checked (ConfigError, one line,
        naming the field); '' and [] remove an option."""
        opts: dict[str, Any] = {}
        for name, f in self.fields.items():
            value = f.checked()
            if value is not None:
                opts[name] = value
        if encryptable:
            opts[OPTION] = self.encrypt.isChecked()
        return opts
