from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`backupdesk` as a person runs it in a terminal (another process on the catalogue)."""
    return subprocess.run([sys.executable, "-m", "core", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def watched_window(window, app_ctx):
    """The real main window with the job watcher the app starts (polling fast for the test)."""
    from gui.jobwatch import JobWatcher

    watcher = JobWatcher(app_ctx, interval_ms=100)
    watcher.timer.start()
    yield window
    watcher.stop()


@pytest.fixture
def docs_plan(home, tmp_path):
    src = tmp_path / "Documents"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    assert cli(home, "plan", "add", "docs", "--engine", "archive", "--source", str(src),
               "--dest", str(dest)).returncode == 0
    return {"src": src, "dest": dest}
