"""A job that fails outside the scheduler (a cron `backupdesk run`, the GUI) is alerted once."""

from datetime import UTC, datetime

from core.jobs.run import run_plan
from core.plans import add_plan
from tests.core.scheduling.clock import ManualClock
from tests.core.scheduling.test_service import service


def test_a_failed_command_line_run_is_alerted_once(catalogue, home, tmp_path):
    import shutil

    from core.config import AppPaths

    blocker = tmp_path / "not-a-folder"
    src = tmp_path / "src"
    src.mkdir()
    add_plan(catalogue, "cron-job", "archive", sources=[str(src)],
             destinations=[str(blocker)])
    shutil.rmtree(blocker)
    blocker.write_text("x")
    add_plan(catalogue, "fine", "archive", sources=[str(src)],
             destinations=[str(tmp_path / "d")])
    sent: list[str] = []
    other: list[str] = []  # a second service: the headless scheduler beside the GUI
    svc = service(catalogue, home, ManualClock(datetime.now(UTC)), sent)
    svc2 = service(catalogue, home, ManualClock(datetime.now(UTC)), other)
    paths = AppPaths.resolve(str(home))
    assert run_plan(catalogue, paths, "cron-job", trigger="cli").status == "failed"
    assert run_plan(catalogue, paths, "fine", trigger="cli").status == "success"
    svc.once()
    svc2.once()
    svc.once()
    assert sent == ["cron-job: backup failed"]
    assert other == []  # each event is sent once, whichever process sees it first
