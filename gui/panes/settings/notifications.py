"""Notifications settings: desktop and email (SMTP with STARTTLS), which events, a test mail.
It says which way desktop notifications go (the D-Bus server, else the tray), or that neither
exists here."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from core.alerts import PASSWORD_KEY, Alerts, AlertSettings, send_mail
from core.desktop_notify import DesktopNotifier, NotifyError
from core.secrets import SecretStore
from gui.context import AppContext
from gui.errors import error_text

STORED = "(stored)"


def _load(paths: Any) -> tuple[Any, bool]:
    return AlertSettings.load(paths), bool(Alerts(paths).password())


def _save(paths: Any, settings: Any, password: str | None) -> None:
    settings.save(paths)
    if password is not None:
        store = SecretStore(paths)
        if password:
            store.set(PASSWORD_KEY, password)
        else:
            store.delete(PASSWORD_KEY)


def _probe_server() -> str | None:
    """The desktop notification server's name, or None when none answers."""
    n = DesktopNotifier(timeout=2.0)
    try:
        return n.server()
    except NotifyError:
        return None
    finally:
        n.close()


def desktop_route(server: str | None, tray: bool) -> str:
    if server:
        return f"Desktop notifications are shown by {server}."
    if tray:
        return ("No notification server answers on this desktop: notifications appear as "
                "tray messages instead.")
    return ("Desktop notifications cannot be shown here: no notification server answers and "
            "there is no system tray. Use email to be told about failed backups.")


def _test_mail(paths: Any, settings: Any, password: str | None) -> str:
    pw = password if password is not None else Alerts(paths).password()
    send_mail(settings, pw, "Backup Desk: test mail",
              "This is a test mail from Backup Desk: notifications reach you.")
    return ", ".join(settings.recipients)


class NotificationsBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Notifications", parent)
        self.ctx = ctx
        self.desktop = QCheckBox("Desktop notifications")
        self.route = QLabel("Looking for a notification server…")
        self.route.setObjectName("notification-route")
        self.route.setWordWrap(True)
        self.can_show = True
        self.email = QCheckBox("Email")
        self.host = QLineEdit(placeholderText="smtp.example.org")
        self.port = QSpinBox(minimum=1, maximum=65535, value=587)
        self.port.setMaximumWidth(110)
        self.user = QLineEdit(placeholderText="login name (empty: no login)")
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the keyring")
        self.starttls = QCheckBox("Use STARTTLS")
        self.starttls.setChecked(True)
        self.mail_from = QLineEdit(placeholderText="backups@example.org")
        self.recipients = QLineEdit(placeholderText="you@example.org, ops@example.org")
        self.on_failure = QCheckBox("a backup fails")
        self.on_overdue = QCheckBox("a plan is overdue")
        self.on_failure.setChecked(True)
        self.on_overdue.setChecked(True)
        self.on_success = QCheckBox("a backup succeeds")
        self.save_button = QPushButton("Save")
        self.test_button = QPushButton("Send a test mail")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self._password_changed = False
        self.password.textEdited.connect(self._mark_password)

        form = QFormLayout()
        form.addRow(self.desktop)
        form.addRow(self.route)
        form.addRow(self.email)
        form.addRow("SMTP server", self.host)
        form.addRow("Port", self.port)
        form.addRow("", self.starttls)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("From", self.mail_from)
        form.addRow("To", self.recipients)
        events = QHBoxLayout()
        for box in (self.on_failure, self.on_overdue, self.on_success):
            events.addWidget(box)
        events.addStretch(1)
        form.addRow("Notify when", events)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.email.toggled.connect(self._enable_mail)
        self.save_button.clicked.connect(self.save)
        self.test_button.clicked.connect(self.send_test)
        self._enable_mail(False)
        ctx.workers.submit(_load, ctx.config.paths, on_result=self._loaded,
                           on_error=self._failed)
        ctx.workers.submit(_probe_server, on_result=self._route)

    def _route(self, server: str | None) -> None:
        tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.route.setText(desktop_route(server, tray))
        self.can_show = bool(server) or tray
        if not self.can_show:
            self.desktop.setChecked(False)
        self.desktop.setEnabled(self.can_show)

    def _mark_password(self, _text: str) -> None:
        self._password_changed = True

    def _enable_mail(self, on: bool) -> None:
        for w in (self.host, self.port, self.starttls, self.user, self.password, self.mail_from,
                  self.recipients, self.test_button):
            w.setEnabled(on)

    def _loaded(self, result: tuple[Any, bool]) -> None:
        s, has_password = result
        self.desktop.setChecked(s.desktop and self.can_show)
        self.email.setChecked(s.email)
        self.host.setText(s.smtp_host)
        self.port.setValue(int(s.smtp_port))
        self.starttls.setChecked(s.starttls)
        self.user.setText(s.smtp_user)
        self.password.setPlaceholderText(STORED if has_password else "kept in the keyring")
        self.mail_from.setText(s.sender)
        self.recipients.setText(", ".join(s.recipients))
        self.on_failure.setChecked(s.on_failure)
        self.on_overdue.setChecked(s.on_overdue)
        self.on_success.setChecked(s.on_success)

    def settings(self) -> Any:
        return AlertSettings(
            desktop=self.desktop.isChecked(), email=self.email.isChecked(),
            smtp_host=self.host.text().strip(), smtp_port=self.port.value(),
            smtp_user=self.user.text().strip(), starttls=self.starttls.isChecked(),
            sender=self.mail_from.text().strip(),
            recipients=[r.strip() for r in self.recipients.text().split(",") if r.strip()],
            on_failure=self.on_failure.isChecked(), on_overdue=self.on_overdue.isChecked(),
            on_success=self.on_success.isChecked())

    def _new_password(self) -> str | None:
        return self.password.text() if self._password_changed else None

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self.ctx.workers.submit(_save, self.ctx.config.paths, self.settings(),
                                self._new_password(), on_result=self._saved,
                                on_error=self._failed)

    def _saved(self, _result: object) -> None:
        self.save_button.setEnabled(True)
        if self._password_changed and self.password.text():
            self.password.clear()
            self.password.setPlaceholderText(STORED)
        self._password_changed = False
        self.status.setText("Notification settings saved.")

    def send_test(self) -> None:
        self.test_button.setEnabled(False)
        self.status.setText("Sending a test mail…")
        self.ctx.workers.submit(_test_mail, self.ctx.config.paths, self.settings(),
                                self._new_password(), on_result=self._sent,
                                on_error=self._failed)

    def _sent(self, to: str) -> None:
        self.test_button.setEnabled(self.email.isChecked())
        self.status.setText(f"Test mail sent to {to}.")

    def _failed(self, e: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.test_button.setEnabled(self.email.isChecked())
        self.status.setText(error_text(e))
