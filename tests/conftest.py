from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("BACKUPDESK_HOME", None)
os.environ.pop("BACKUPDESK_CATALOGUE", None)

pytest_plugins = ["tests.fixtures.servers"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway Backup Desk home, also set in the environment for subprocesses."""
    h = tmp_path / "home"
    monkeypatch.setenv("BACKUPDESK_HOME", str(h))
    return h


@pytest.fixture
def catalogue(home: Path) -> Iterator[object]:
    from core.catalogue import open_catalogue
    from core.config import AppConfig

    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    yield cat
    cat.dispose()
