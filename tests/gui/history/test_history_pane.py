from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from core.catalogue.jobs import finish_job, heartbeat
from core.timeutil import local_midnight_utc, utcnow
from gui.jobwatch import JobWatcher
from gui.panes.history.model import COL_PLAN, COL_SIZE, COL_STATUS, PAGE, HistoryModel
from gui.panes.history.pane import HistoryPane
from tests.core.helpers import add_job


def fill(cat, n, **kw):
    now = utcnow()
    return [add_job(cat, plan=f"plan-{i % 3}", started=now - timedelta(minutes=i), bytes=i,
                    **kw) for i in range(n)]


@pytest.fixture
def pane(qtbot, app_ctx):
    p = HistoryPane(app_ctx)
    qtbot.addWidget(p)
    return p


def wait_loaded(qtbot, model, action):
    with qtbot.waitSignal(model.loaded, timeout=10000):
        action()


def test_model_loads_lazily_in_pages(qtbot, app_ctx):
    ids = fill(app_ctx.catalogue, PAGE + 30)
    model = HistoryModel(app_ctx.workers)
    wait_loaded(qtbot, model, lambda: model.set_catalogue(app_ctx.catalogue))
    assert model.rowCount() == PAGE
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one fetch at a time
    qtbot.waitUntil(lambda: model.rowCount() == PAGE + 30, timeout=10000)
    assert not model.canFetchMore()
    assert [model.row_at(i).id for i in range(model.rowCount())] == ids


def test_header_sort_and_filters_go_to_sql(qtbot, pane):
    fill(pane.ctx.catalogue, 40)
    pane.refresh()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 40, timeout=10000)
    wait_loaded(qtbot, pane.model,
                lambda: pane.table.sortByColumn(COL_SIZE, Qt.SortOrder.AscendingOrder))
    sizes = [pane.model.row_at(i).bytes for i in range(40)]
    assert sizes == sorted(sizes)
    wait_loaded(qtbot, pane.model, lambda: pane.filters.plan.setCurrentText("plan-1"))
    assert {pane.model.index(i, COL_PLAN).data() for i in range(pane.model.rowCount())} == {
        "plan-1"}
    assert pane.model.rowCount() == 13
    qtbot.waitUntil(lambda: pane.count_label.text() == "13 jobs", timeout=10000)
    with qtbot.waitSignal(pane.model.loaded, timeout=10000):
        pane.filters.text.setText("no such thing")
    assert pane.model.rowCount() == 0
    assert pane.empty.isVisible() or not pane.isVisible()
    assert "No jobs match" in pane.empty.text()


def test_banner_stats_and_detail(qtbot, pane):
    from core import plans

    cat = pane.ctx.catalogue
    p = plans.add_plan(cat, "nightly", "archive", sources=["/tmp/src"], destinations=["/tmp/d"])
    add_job(cat, plan="nightly", plan_id=p.id, status="failed", error="disk full",
            started=local_midnight_utc() + timedelta(minutes=1))
    pane.refresh()
    qtbot.waitUntil(lambda: pane.banner.text() == "The last run of nightly failed.",
                    timeout=10000)
    assert pane.banner.property("level") == "error"
    qtbot.waitUntil(lambda: "1 jobs" in pane.stats_label.text() or "1 job" in
                    pane.stats_label.text(), timeout=10000)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    pane.table.selectRow(0)
    qtbot.waitUntil(lambda: "disk full" in pane.detail.summary.text(), timeout=10000)
    assert "nightly" in pane.detail.summary.text()


def test_running_jobs_update_live(qtbot, app_ctx, pane):
    cat = app_ctx.catalogue
    watcher = JobWatcher(app_ctx, interval_ms=50)
    watcher.timer.start()
    qtbot.waitUntil(lambda: watcher._token is not None, timeout=10000)
    jid = add_job(cat, status="running", plan="live")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    assert pane.model.index(0, COL_STATUS).data() == "running"
    heartbeat(cat, jid, bytes=2048)
    qtbot.waitUntil(lambda: pane.model.row_at(0).bytes == 2048, timeout=10000)
    finish_job(cat, jid, "success", bytes=4096)
    qtbot.waitUntil(lambda: pane.model.index(0, COL_STATUS).data() == "success", timeout=10000)
    assert pane.model.index(0, COL_SIZE).data() == "4.0 KiB"
    watcher.stop()


def test_a_running_job_shows_its_elapsed_time(qtbot, pane):
    """Issue 16: a running job shows how long it has been running."""
    from gui.panes.history.model import COL_DURATION

    add_job(pane.ctx.catalogue, status="running", plan="live",
            started=utcnow() - timedelta(minutes=2, seconds=5))
    pane.refresh()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    assert pane.model.index(0, COL_DURATION).data().startswith("2 min 0")
    assert pane.model.index(0, COL_DURATION).data().endswith("so far")
