"""Issue 21: the History pane of the real window shows the host that ran each job, two
workstations (own hostnames, own homes) running one plan on one shared PostgreSQL catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.catalogue import Catalogue, open_catalogue
from gui.panes.history.model import COL_HOST, COL_TRIGGER, HEADERS
from tests.core.shared.workstations import plan_run_on_two_hosts
from tests.gui.backups.person import open_pane

pytestmark = pytest.mark.postgres


@pytest.fixture
def catalogue(pg_catalogue_url: str) -> Iterator[Catalogue]:
    """The window's catalogue: the shared one (the gui conftest's app_ctx takes it)."""
    cat = open_catalogue(pg_catalogue_url)
    yield cat
    cat.dispose()


def test_history_pane_shows_the_host_of_each_job(qtbot, pg_catalogue_url: str,
                                                 tmp_path: Path, catalogue, window) -> None:
    plan_run_on_two_hosts(pg_catalogue_url, tmp_path)
    pane = open_pane(qtbot, window, "History")
    pane.refresh()
    model = pane.table.model()
    qtbot.waitUntil(lambda: model.rowCount() >= 2, timeout=20000)
    assert model.headerData(COL_HOST, pane.table.horizontalHeader().orientation()) == "Host"
    assert HEADERS[COL_HOST] == "Host"
    shown = [(model.index(i, COL_TRIGGER).data(), model.index(i, COL_HOST).data())
             for i in range(model.rowCount())]
    assert [host for _, host in shown] == ["wsB", "wsA"], shown
    assert not pane.table.isColumnHidden(COL_HOST)
