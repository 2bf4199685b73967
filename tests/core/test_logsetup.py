"""The log folder is 0700 and its files 0600, whatever the umask (issue 14)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.logsetup import LOG_NAME, LogFile, setup_logging


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    os.umask(old)
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_log_file_and_folder_are_private(tmp_path: Path, open_umask: None) -> None:
    logs = tmp_path / "logs"
    path = setup_logging(logs)
    logging.getLogger("t").warning("hello")
    assert path.read_text().endswith("hello\n")
    assert mode(path) == 0o600 and mode(logs) == 0o700


def test_an_older_public_log_is_made_private(tmp_path: Path, open_umask: None) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)
    os.chmod(logs, 0o755)
    (logs / LOG_NAME).write_text("old\n")
    (logs / f"{LOG_NAME}.1").write_text("older\n")
    for f in logs.iterdir():
        os.chmod(f, 0o644)
    setup_logging(logs)
    logging.getLogger("t").warning("hello")
    assert mode(logs) == 0o700
    assert {f.name: mode(f) for f in logs.iterdir()} == {LOG_NAME: 0o600, f"{LOG_NAME}.1": 0o600}


def test_rotated_logs_stay_private(tmp_path: Path, open_umask: None) -> None:
    logs = tmp_path / "logs"
    setup_logging(logs)
    logging.getLogger("t").warning("first")  # the file is opened with the first record
    ours = next(h for h in logging.getLogger().handlers if getattr(h, "_backupdesk", False))
    assert isinstance(ours, LogFile)
    handler = ours.file
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 2000
    for i in range(100):
        logging.getLogger("t").warning("line %d %s", i, "x" * 50)
    files = sorted(logs.iterdir())
    assert len(files) >= 3
    assert all(mode(f) == 0o600 for f in files)
