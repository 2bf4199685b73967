"""The GUI's scheduler host starts due plans; the notifications box saves and sends a test."""

import json
from datetime import datetime

import pytest
from sqlalchemy import update

from core.alerts import AlertSettings
from core.catalogue.schema import Schedule
from core.plans import add_plan
from core.scheduling.plan_schedules import set_schedule
from tests.core.helpers import orm_session
from tests.core.scheduling.smtp_server import SmtpServer, make_cert


@pytest.fixture
def file_secrets(monkeypatch):
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")


def test_host_starts_a_due_plan_and_notifies(qtbot, app_ctx, catalogue, tmp_path):
    from gui.window_scheduler import SchedulerHost

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(tmp_path / "d")])
    set_schedule(catalogue, "docs", "hourly")
    AlertSettings(on_success=True).save(app_ctx.config.paths.ensure())
    with orm_session(catalogue) as s:  # due now
        s.execute(update(Schedule).values(next_due_at=datetime.utcnow()))
    with qtbot.waitSignal(app_ctx.notify, timeout=30000) as note:
        host = SchedulerHost(app_ctx)
    assert note.args[0] == "docs: backup done" and "succeeded" in note.args[1]
    host.stop()


def test_notifications_box_saves_and_sends_a_test_mail(qtbot, app_ctx, tmp_path, monkeypatch,
                                                       file_secrets):
    from gui.panes.settings.notifications import NotificationsBox

    cert, key = make_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    srv = SmtpServer(cert, key).start()
    try:
        paths = app_ctx.config.paths.ensure()
        AlertSettings(smtp_host="127.0.0.1", smtp_port=srv.port, email=True).save(paths)
        box = NotificationsBox(app_ctx)
        qtbot.addWidget(box)
        qtbot.waitUntil(lambda: box.host.text() == "127.0.0.1")
        assert box.email.isChecked() and box.port.value() == srv.port
        box.user.setText("ann")
        qtbot.keyClicks(box.password, "s3cret")
        box.mail_from.setText("b@example.org")
        box.recipients.setText("ops@example.org, me@example.org")
        box.on_success.setChecked(True)
        box.save()
        qtbot.waitUntil(lambda: box.status.text() == "Notification settings saved.")
        data = json.loads((paths.config_dir / "notifications.json").read_text())
        assert data["recipients"] == ["ops@example.org", "me@example.org"]
        assert data["on_success"] is True and "s3cret" not in json.dumps(data)
        assert box.password.text() == "" and box.password.placeholderText() == "(stored)"
        box.show()
        box.grab().save(str(tmp_path.parent / "notifications.png"))
        box.send_test()
        qtbot.waitUntil(lambda: box.status.text().startswith("Test mail sent"), timeout=20000)
        [m] = srv.messages
        assert m.tls and m.user == "ann" and m.recipients == ["ops@example.org",
                                                              "me@example.org"]
        box.user.setText("bob")
        box.send_test()
        qtbot.waitUntil(lambda: "refused the login" in box.status.text(), timeout=20000)
    finally:
        srv.stop()


def test_host_reports_overdue_plans(qtbot, home, catalogue, tmp_path):
    from core.catalogue.schema import Plan
    from core.config import AppConfig
    from gui.context import AppContext
    from gui.window_scheduler import SchedulerHost

    add_plan(catalogue, "late", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")])
    with orm_session(catalogue) as s:
        s.query(Plan).update({"created_at": datetime(2020, 1, 1)})
    set_schedule(catalogue, "late", "hourly")
    ctx = AppContext(AppConfig.resolve(str(home)))
    AlertSettings(desktop=False).save(ctx.config.paths.ensure())
    host = SchedulerHost(ctx)
    with qtbot.waitSignal(host.overdue_changed, timeout=20000) as sig, \
            qtbot.waitSignal(ctx.jobs_changed, timeout=20000):
        ctx.set_catalogue(catalogue)
    assert sig.args == [["late"]]
    host.stop()
