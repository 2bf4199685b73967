"""Issue 18 (Show): the trend chart in a job's details, in the real main window."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from core.timeutil import utcnow
from gui.panes.history import chart
from gui.panes.history.model import COL_PLAN
from tests.core.helpers import add_job
from tests.gui.backups.person import click_row, open_pane, shot


def test_trend_of_the_selected_jobs_plan_with_its_band(qtbot, window, catalogue, tmp_path):
    t0 = utcnow() - timedelta(days=20)
    for i in range(8):
        add_job(catalogue, plan="docs", status="success", started=t0 + timedelta(days=i),
                bytes=3_000_000 + i * 10_000, duration_ms=60_000, files=1000)
    add_job(catalogue, plan="docs", status="failed", started=t0 + timedelta(days=9),
            duration_ms=5_000)
    small = add_job(catalogue, plan="docs", status="success", started=t0 + timedelta(days=10),
                    bytes=400_000, duration_ms=9_000, files=990)
    add_job(catalogue, plan="other", status="success", started=t0, bytes=10**9)
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 11, timeout=10000)
    row = next(i for i in range(11) if pane.model.row_at(i).id == small)
    click_row(qtbot, pane.table, pane.model.index(row, COL_PLAN))
    tabs = pane.detail.tabs
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(3).center())
    c = pane.detail.chart
    assert tabs.currentWidget() is c and c.isVisible()
    qtbot.waitUntil(lambda: c.trend is not None and c.selected == small, timeout=10000)
    assert c.trend.plan == "docs" and len(c.trend.job_ids) == 10
    size = c.trend.series[0]
    # the median of the 9 successful runs, the small one among them
    assert size.band is not None and size.band.median == 3_030_000
    image = shot(window, tmp_path / "trend.png")

    def colour(i: int, run: int) -> str:
        pt = c.mapTo(window, c.point(i, run).toPoint())
        return image.pixelColor(pt.x(), pt.y()).name()

    assert colour(0, 9) == chart._c(chart.BAD).name()  # 400 kB: below the band
    assert colour(0, 0) == chart._c(chart.LINE).name()
    assert colour(1, 8) == chart._c(chart.BAD).name()  # the failed run's duration
    assert c.point(0, 8) is None  # a failed run has no size

    # another plan's job: its own trend
    other = next(i for i in range(11) if pane.model.row_at(i).plan == "other")
    click_row(qtbot, pane.table, pane.model.index(other, COL_PLAN))
    qtbot.waitUntil(lambda: c.trend is not None and c.trend.plan == "other", timeout=10000)
    assert c.trend.series[0].band is None  # one run: no band yet
