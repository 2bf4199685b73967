"""Where the files of resources/ are: the package `backupdesk_resources` (core.packaged), in a
checkout, an installed wheel and the PyInstaller bundle alike."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.packaged import resource_root


@cache
def resource_dir() -> Path | None:
    root = resource_root()
    if root is None:
        return None
    path = Path(str(root))  # a folder on disk in every install this app supports
    return path if (path / "icons").is_dir() else None


def resource(*parts: str) -> Path | None:
    """The path of a resource file, or None when it is not shipped with this install."""
    base = resource_dir()
    if base is None:
        return None
    p = base.joinpath(*parts)
    return p if p.is_file() else None
