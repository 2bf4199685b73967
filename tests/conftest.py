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


@pytest.fixture
def one_file_home(home: Path, tmp_path: Path) -> Path:
    """A home whose SQLite catalogue is at the head revision, with one archive plan "one" of
    one file (commands run on it in fresh processes)."""
    from core.catalogue import open_catalogue
    from core.config import AppConfig
    from core.plans import add_plan

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("hello")
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)  # created and migrated here, with SQLAlchemy
    add_plan(cat, "one", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "dest")])
    cat.dispose()
    return home


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_catalogue(request: pytest.FixtureRequest, home: Path) -> Iterator[object]:
    """A fresh catalogue in SQLite, then in a real PostgreSQL server: for queries written in
    plain SQL, which must mean the same in both."""
    from core.catalogue import open_catalogue
    from core.config import AppConfig

    if request.param == "sqlite":
        cfg = AppConfig.resolve(str(home))
        cfg.paths.ensure()
        url = cfg.catalogue_url
    else:
        url = request.getfixturevalue("pg_catalogue_url")
    cat = open_catalogue(url)
    yield cat
    cat.dispose()
