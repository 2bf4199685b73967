from __future__ import annotations

from pathlib import Path

import pytest

from core.config import AppPaths
from tests.core.archive.conftest import tree  # noqa: F401  (a real file tree to back up)


@pytest.fixture
def paths(home: Path) -> AppPaths:
    return AppPaths.resolve(str(home))
