"""Logging to a rotating file under the app's log dir: the folder 0700, its files 0600 (a log
names plans, paths and hosts; other local users have no business reading it)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

LOG_NAME = "backupdesk.log"


class LogFile(logging.Handler):
    """The log file, opened with the first record: a command that logs nothing (a run that
    goes well) never loads logging.handlers (3 ms of its start-up)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.file: logging.Handler | None = None  # core.logfile's, once opened

    def emit(self, record: logging.LogRecord) -> None:
        if self.file is None:
            from core.logfile import PrivateRotatingFileHandler  # the one import point

            self.file = PrivateRotatingFileHandler(self.path, maxBytes=5 * 1024 * 1024,
                                                   backupCount=5, encoding="utf-8", delay=True)
            self.file.setFormatter(self.formatter)
        self.file.handle(record)

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        super().close()


def make_private(log_dir: Path) -> None:
    """The folder 0700 and the files in it 0600, also when an older version made them 0644."""
    try:
        os.chmod(log_dir, 0o700)
        for p in log_dir.iterdir():
            if p.is_file() and not p.is_symlink():
                os.chmod(p, 0o600)
    except OSError:
        pass  # not ours to change (a folder shared on purpose): logging goes on


def setup_logging(log_dir: Path, *, verbose: bool = False) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(log_dir)
    path = log_dir / LOG_NAME
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_backupdesk", False):
            root.removeHandler(h)
            h.close()
    handler = LogFile(path)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    handler._backupdesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return path
