"""The log file's handler: a rotating file created 0600, whatever the umask (core.logsetup opens
it with the first record a process logs)."""

from __future__ import annotations

import io
import logging.handlers
import os


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file 0600, whatever the umask; rotation renames keep the mode."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)
