"""Issue 16, the History pane in the real main window as jobs arrive from a terminal."""

from __future__ import annotations

from tests.gui.backups.person import open_pane, shot
from tests.gui.history.conftest import cli


def test_count_and_empty_state_follow_live_jobs(qtbot, watched_window, home, docs_plan,
                                                tmp_path):
    """Defect 4: "0 jobs" beside rows and "No jobs yet" stayed until a filter changed."""
    pane = open_pane(qtbot, watched_window, "History")
    qtbot.waitUntil(lambda: pane.count_label.text() == "0 jobs", timeout=10000)
    assert pane.empty.isVisible() and "No jobs yet" in pane.empty.text()
    for n in (1, 2):
        done = cli(home, "run", "docs")
        assert done.returncode == 0, done.stderr
        qtbot.waitUntil(lambda n=n: pane.model.rowCount() == n, timeout=20000)
        want = "1 job" if n == 1 else "2 jobs"
        qtbot.waitUntil(lambda want=want: pane.count_label.text() == want, timeout=10000)
        assert not pane.empty.isVisible()
    shot(watched_window, tmp_path / "history.png")
