from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.catalogue.db import Catalogue
from core.config import AppConfig
from core.grid.memory import memory_path
from core.grid.poller import Limits
from gui.context import AppContext
from gui.panes.devices.controller import GridController
from gui.panes.devices.pane import DevicesPane
from tests.core.grid.daemons import DaemonFarm

LIMITS = Limits(connect_s=1, read_s=1, total_s=1.5)


@pytest.fixture
def farm() -> Iterator[DaemonFarm]:
    f = DaemonFarm().start()
    yield f
    f.stop()


@pytest.fixture
def ctx(qtbot: object, home: object) -> Iterator[AppContext]:
    c = AppContext(AppConfig.resolve(str(home)))
    yield c
    c.shutdown()


@pytest.fixture
def make_pane(ctx: AppContext, qtbot: object) -> Iterator[object]:
    panes: list[DevicesPane] = []

    def make(remember: bool = False) -> DevicesPane:
        memory = memory_path(ctx.config.paths) if remember else None
        pane = DevicesPane(ctx, controller=GridController(limits=LIMITS, memory=memory))
        qtbot.addWidget(pane)  # type: ignore[attr-defined]
        panes.append(pane)
        return pane

    yield make
    for p in panes:
        p.shutdown()


@pytest.fixture
def ready_ctx(ctx: AppContext, catalogue: Catalogue) -> AppContext:
    ctx.set_catalogue(catalogue)
    return ctx
