"""A `backupdesk run` started from a terminal while the GUI is open shows up in its History."""

import subprocess
import sys

from gui.jobwatch import JobWatcher
from gui.panes.history.pane import HistoryPane


def cli(home, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


def test_terminal_run_appears_in_history(qtbot, app_ctx, home, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    pane = HistoryPane(app_ctx)
    qtbot.addWidget(pane)
    watcher = JobWatcher(app_ctx, interval_ms=100)
    watcher.timer.start()  # the catalogue was ready before the watcher existed
    pane.refresh()
    qtbot.waitUntil(lambda: watcher._token is not None, timeout=10000)
    assert pane.model.rowCount() == 0
    assert cli(home, "plan", "add", "docs", "--engine", "archive", "--source", str(src),
               "--dest", str(dest)).returncode == 0
    done = cli(home, "run", "docs")
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=20000)
    row = pane.model.row_at(0)
    assert (row.plan, row.status) == ("docs", "success")
    watcher.stop()
