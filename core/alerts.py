"""Alerts: events (failure, overdue, success) -> once per event -> desktop and/or email.

The e-mail settings are one Apprise `mailto` target (core.tell.notify); `send_mail` stays for
the test mail, whose failures it words one by one. Settings live in `notifications.json` in
the config folder; the SMTP password in the secret store. An event is sent once, whichever
process (GUI, headless scheduler) sees it first: its key is claimed by creating a file in the
state folder (core.tell.dedup).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from email.message import EmailMessage
from pathlib import Path

from core.config import AppPaths
from core.errors import BackupDeskError
from core.secrets import SecretStore
from core.statefile import write_atomic
from core.tell import dedup, notify

log = logging.getLogger(__name__)

SETTINGS_FILE = "notifications.json"
PASSWORD_KEY = "smtp-password"
KEEP_CLAIMS_DAYS = dedup.KEEP_DAYS


class AlertError(BackupDeskError):
    """A notification could not be sent."""


@dataclass
class AlertSettings:
    desktop: bool = True
    email: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    starttls: bool = True
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    on_failure: bool = True
    on_overdue: bool = True
    on_success: bool = False

    @classmethod
    def load(cls, paths: AppPaths) -> AlertSettings:
        p = paths.config_dir / SETTINGS_FILE
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, paths: AppPaths) -> None:
        write_atomic(paths.config_dir / SETTINGS_FILE, json.dumps(asdict(self), indent=2))

    def wants(self, kind: str) -> bool:
        return {"failure": self.on_failure, "overdue": self.on_overdue,
                "success": self.on_success}.get(kind, True)


@dataclass(frozen=True)
class Event:
    key: str  # unique per event, e.g. "job-42" or "overdue-3-2026-11-24T02:00:00+00:00"
    kind: str  # failure, overdue, success
    title: str
    message: str
    job_id: int | None = None  # the job a notification's actions open or retry
    # >0: a repeatable event (a device state): sent again only after this many seconds
    repeat_after: int = 0


def send_mail(s: AlertSettings, password: str | None, subject: str, body: str,
              *, timeout: float = 20.0, context: ssl.SSLContext | None = None) -> None:
    """Send one mail; AlertError with a sentence on any failure."""
    if not s.smtp_host or not s.recipients:
        raise AlertError("Email needs an SMTP server and at least one recipient.")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = s.sender or s.smtp_user or "backupdesk@localhost"
    msg["To"] = ", ".join(s.recipients)
    msg.set_content(body)
    try:
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=timeout) as smtp:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=context or ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, password or "")
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as e:
        raise AlertError(f"The mail server refused the login of {s.smtp_user!r}.") from e
    except smtplib.SMTPNotSupportedError as e:
        raise AlertError(f"{s.smtp_host} does not offer STARTTLS; mail was not sent.") from e
    except ssl.SSLError as e:
        raise AlertError(f"TLS with {s.smtp_host} failed: {e.reason or e}.") from e
    except (smtplib.SMTPException, OSError) as e:
        raise AlertError(f"Cannot send mail through {s.smtp_host}:{s.smtp_port}: {e}.") from e


def mail_url(s: AlertSettings, password: str | None) -> str:
    """The e-mail settings as an Apprise target (core.tell.notify): `mailtos://` with STARTTLS,
    `mailto://` without. It holds the password: built when sending, never stored or logged."""
    q = urllib.parse.quote
    login = f"{q(s.smtp_user, safe='')}:{q(password or '', safe='')}@" if s.smtp_user else ""
    query = urllib.parse.urlencode({
        "smtp": s.smtp_host, "from": s.sender or s.smtp_user or "backupdesk@localhost",
        "to": ",".join(s.recipients), "mode": "starttls" if s.starttls else "insecure"})
    scheme = "mailtos" if s.starttls else "mailto"
    return f"{scheme}://{login}{s.smtp_host}:{s.smtp_port}?{query}"


class Alerts:
    """Sends each event once; `desktop` shows a notification (title, message), or
    `desktop_event` the whole event (with its job, for the notification's actions)."""

    def __init__(self, paths: AppPaths, *, desktop: Callable[[str, str], None] | None = None,
                 desktop_event: Callable[[Event], None] | None = None,
                 secrets: SecretStore | None = None,
                 settings: Callable[[], AlertSettings] | None = None) -> None:
        self.paths = paths
        self.desktop: Callable[[Event], None] | None = desktop_event or (
            (lambda ev: desktop(ev.title, ev.message)) if desktop is not None else None)
        self._secrets = secrets
        self._settings = settings or (lambda: AlertSettings.load(paths))

    @property
    def claims_dir(self) -> Path:
        return self.paths.state_dir / "alerts"

    def claim(self, key: str, repeat_after: int = 0, now: float | None = None) -> bool:
        """True the first time any process claims `key` (core.tell.dedup)."""
        return dedup.claim(self.claims_dir, key, repeat_after, now)

    def emit(self, event: Event) -> bool:
        """Send the event if wanted and not sent before; True if it was sent."""
        s = self._settings()
        desktop = s.desktop and self.desktop is not None
        if not s.wants(event.kind) or not (desktop or s.email):
            return False  # unclaimed: a process that can show it may still do so
        if not self.claim(event.key, event.repeat_after):
            return False
        self._forget_old()
        if desktop and self.desktop is not None:
            try:
                self.desktop(event)
            except Exception:
                log.exception("desktop notification failed")
        if s.email and notify.send([mail_url(s, self.password())],
                                   f"Backup Desk: {event.title}", event.message):
            log.warning("alert mail for %s not sent (see the lines above)", event.key)
        return True

    def password(self) -> str | None:
        store = self._secrets or SecretStore(self.paths)
        return store.get(PASSWORD_KEY)

    def _forget_old(self, now: float | None = None) -> None:
        dedup.forget_old(self.claims_dir, now)


def job_event(job_id: int | str, plan: str, status: str, error: str | None, kind: str = "backup",
              trigger: str = "scheduled") -> Event | None:
    """The event for a finished job, or None if it is not worth one."""
    what = "backup" if kind == "backup" else kind.replace("_", " ")
    how = {"scheduled": "scheduled ", "cli": "command-line ", "external": "outside ",
           "manual": ""}.get(trigger, "")
    if status in ("failed", "interrupted", "partial"):
        word = "had problems" if status == "partial" else "failed"
        return Event(f"job-{job_id}", "failure", f"{plan}: {what} {word}",
                     f"The {how}{what} of {plan} {word} (job {job_id}): "
                     f"{error or 'no detail'}", job_id if isinstance(job_id, int) else None)
    if status == "success":
        return Event(f"job-{job_id}", "success", f"{plan}: {what} done",
                     f"The {how}{what} of {plan} succeeded (job {job_id}).",
                     job_id if isinstance(job_id, int) else None)
    return None


def overdue_event(plan_id: int, plan: str, previous_due: str, last_success: str | None
                  ) -> Event:
    """One alert per overdue spell: the key changes only when a backup succeeds again."""
    since = f"since {last_success}" if last_success else "ever"
    return Event(f"overdue-{plan_id}-{last_success or 'never'}", "overdue",
                 f"{plan} is overdue",
                 f"{plan} was due at {previous_due} but has had no successful backup {since}.")
