from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def bundle() -> Path:
    """The bundle's executable: tests that need one are skipped unless BACKUPDESK_BUNDLE points
    at a built bundle folder (packaging/ci-smoke.sh sets it)."""
    path = os.environ.get("BACKUPDESK_BUNDLE")
    if not path:
        pytest.skip("BACKUPDESK_BUNDLE is not set (packaging/ci-smoke.sh builds and sets it)")
    exe = Path(path) / "backupdesk"
    assert exe.is_file(), f"no executable in {path}"
    return exe


@pytest.fixture
def deb() -> Path:
    path = os.environ.get("BACKUPDESK_DEB")
    if not path:
        pytest.skip("BACKUPDESK_DEB is not set (packaging/ci-smoke.sh builds and sets it)")
    return Path(path)
