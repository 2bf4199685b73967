"""The data files shipped with the code (resources/ in the checkout, the package
`backupdesk_resources` once installed, also in the PyInstaller bundle)."""

from __future__ import annotations

import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "backupdesk_resources"


def resource_root() -> Traversable | None:
    try:
        return files(PACKAGE)
    except ModuleNotFoundError:
        bundle = getattr(sys, "_MEIPASS", None)  # the spec copies it there as data
        if bundle and (Path(bundle) / PACKAGE).is_dir():
            return Path(bundle) / PACKAGE
        return None


def resource_text(*parts: str) -> str:
    root = resource_root()
    if root is None:
        raise FileNotFoundError(f"{PACKAGE} is not installed")
    return root.joinpath(*parts).read_text(encoding="utf-8")
