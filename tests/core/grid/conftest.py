from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.core.grid.daemons import DaemonFarm


@pytest.fixture
def farm() -> Iterator[DaemonFarm]:
    f = DaemonFarm().start()
    yield f
    f.stop()
