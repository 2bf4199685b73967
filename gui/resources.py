"""Where the files of resources/ are: next to the code in a checkout or an editable install,
under the bundle's data folder (sys._MEIPASS) in a PyInstaller build."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resource_dir() -> Path | None:
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parents[1] / "resources")
    for c in candidates:
        if (c / "icons").is_dir():
            return c
    return None


def resource(*parts: str) -> Path | None:
    """The path of a resource file, or None when it is not shipped with this install."""
    base = resource_dir()
    if base is None:
        return None
    p = base.joinpath(*parts)
    return p if p.is_file() else None
