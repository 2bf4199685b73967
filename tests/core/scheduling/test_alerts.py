"""Mail through a real SMTP server with STARTTLS on 127.0.0.1; one message per event."""

import os
import ssl
import time

import pytest

from core.alerts import KEEP_CLAIMS_DAYS, AlertError, Alerts, AlertSettings, Event, send_mail
from core.config import AppPaths
from core.secrets import SecretStore
from tests.core.scheduling.smtp_server import SmtpServer, make_cert


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(cert):
    srv = SmtpServer(*cert).start()
    yield srv
    srv.stop()


def trusting(cert):
    ctx = ssl.create_default_context(cafile=str(cert[0]))
    return ctx


def settings(port, **kw):
    base = dict(desktop=False, email=True, smtp_host="127.0.0.1", smtp_port=port,
                smtp_user="ann", sender="backups@example.org", recipients=["ops@example.org"])
    return AlertSettings(**{**base, **kw})


def test_mail_goes_through_starttls_with_login(smtp, cert):
    send_mail(settings(smtp.port), "s3cret", "Backup Desk: test", "hello there",
              context=trusting(cert))
    [m] = smtp.messages
    assert m.tls and m.user == "ann" and m.recipients == ["ops@example.org"]
    assert "Subject: Backup Desk: test" in m.data and "hello there" in m.data


def test_wrong_password_is_one_sentence(smtp, cert):
    with pytest.raises(AlertError, match="refused the login"):
        send_mail(settings(smtp.port), "nope", "s", "b", context=trusting(cert))


def test_an_untrusted_certificate_is_refused(smtp):
    with pytest.raises(AlertError, match="TLS"):
        send_mail(settings(smtp.port), "s3cret", "s", "b")
    assert smtp.messages == []
    deadline = time.monotonic() + 5  # the server's side of the handshake ends in its thread
    while not smtp.refused_handshakes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert smtp.refused_handshakes == ["TLSV1_ALERT_UNKNOWN_CA"]


def test_each_event_is_sent_once_with_the_stored_password(smtp, cert, home, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # Apprise's mailto trusts the test CA
    paths = AppPaths.resolve(str(home)).ensure()
    store = SecretStore(paths, backend=None)
    store.set("smtp-password", "s3cret")
    settings(smtp.port, desktop=True).save(paths)
    shown = []
    alerts = Alerts(paths, desktop=lambda t, m: shown.append(t), secrets=store)
    other = Alerts(paths, secrets=store)  # a second process
    ev = Event("job-7", "failure", "docs: backup failed", "disk full")
    assert alerts.emit(ev) is True
    assert alerts.emit(ev) is False and other.emit(ev) is False
    assert shown == ["docs: backup failed"]
    assert len(smtp.messages) == 1 and "disk full" in smtp.messages[0].data
    assert alerts.emit(Event("job-8", "success", "docs: backup done", "ok")) is False
    assert len(smtp.messages) == 1


def test_settings_round_trip(home):
    paths = AppPaths.resolve(str(home)).ensure()
    s = settings(2525, on_success=True)
    s.save(paths)
    assert AlertSettings.load(paths) == s


def test_old_claims_go_when_a_new_alert_is_claimed(home):
    """One claim file per event: those older than KEEP_CLAIMS_DAYS are removed, so the alert
    folder does not grow for ever; a recent claim still stops a repeat."""
    paths = AppPaths.resolve(str(home)).ensure()
    settings(2525, desktop=True, email=False).save(paths)
    alerts = Alerts(paths, desktop=lambda t, m: None)
    assert alerts.emit(Event("job-1", "failure", "a", "b"))
    old = alerts.claims_dir / "job-1"
    past = time.time() - (KEEP_CLAIMS_DAYS + 1) * 86400
    os.utime(old, (past, past))
    assert alerts.emit(Event("job-2", "failure", "a", "b"))
    assert sorted(p.name for p in alerts.claims_dir.iterdir()) == ["job-2"]
    assert alerts.emit(Event("job-2", "failure", "a", "b")) is False
