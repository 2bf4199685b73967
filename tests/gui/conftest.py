from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import AppConfig


@pytest.fixture
def app_ctx(qapp, home, catalogue) -> Iterator[object]:
    from gui.context import AppContext

    ctx = AppContext(AppConfig.resolve(str(home)))
    ctx.set_catalogue(catalogue)
    yield ctx
    ctx.workers.wait(10000)


@pytest.fixture
def window(qtbot, app_ctx):
    from gui.main_window import MainWindow

    w = MainWindow(app_ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    app_ctx.workers.wait(10000)
