"""Issue 18 (Show): the calendar strip in the real main window's History pane."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt

from core.timeutil import to_naive_utc, utcnow
from gui.panes.history.strip import cell_colour
from tests.core.helpers import add_job
from tests.gui.backups.person import click, open_pane, shot


def _local_noon(days_ago: int) -> tuple[datetime, object]:
    """Naive UTC of local noon `days_ago` days back, and that local date."""
    local = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    local -= timedelta(days=days_ago)
    return to_naive_utc(local), local.date()


def _pixel(window, image, strip, rect):
    at = strip.mapTo(window, rect.center())
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(at.x() * ratio), int(at.y() * ratio))


def test_strip_cells_filter_the_table_to_a_plan_and_day(qtbot, window, catalogue, tmp_path):
    t5, d5 = _local_noon(5)
    t2, d2 = _local_noon(2)
    add_job(catalogue, plan="docs", status="success", started=t5)
    add_job(catalogue, plan="docs", status="failed", started=t2, error="disk full")
    add_job(catalogue, plan="docs", status="success", started=t2 + timedelta(hours=1))
    add_job(catalogue, plan="photos", status="partial", started=t2)
    add_job(catalogue, plan="photos", status="success", started=utcnow() - timedelta(minutes=5))
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=10000)
    strip = pane.strip
    qtbot.waitUntil(lambda: [s.plan for s in strip.strips] == ["docs", "photos"], timeout=10000)
    image = shot(window, tmp_path / "strip.png")
    assert _pixel(window, image, strip, strip.rect_of("docs", d2)) == cell_colour("failed")
    assert _pixel(window, image, strip, strip.rect_of("docs", d5)) == cell_colour("ok")
    assert _pixel(window, image, strip, strip.rect_of("photos", d2)) == cell_colour("partial")
    assert _pixel(window, image, strip, strip.rect_of("photos", d5)) == cell_colour("none")

    # a click on docs' red day: the table shows that plan's jobs of that day only
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rect_of("docs", d2).center())
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    rows = [pane.model.row_at(i) for i in range(2)]
    assert {r.plan for r in rows} == {"docs"} and {r.status for r in rows} == {"failed",
                                                                               "success"}
    assert pane.filters.plan.currentText() == "docs"
    assert pane.strip_clear.isVisible()
    # clicked again: unfiltered
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rect_of("docs", d2).center())
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=10000)
    assert pane.filters.plan.currentText() == "All plans" and not pane.strip_clear.isVisible()
    # another day, then the clear button
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rect_of("photos", d2).center())
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=10000)
    assert pane.model.row_at(0).status == "partial"
    click(qtbot, pane.strip_clear)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=10000)
    # a day with no job: an empty table that says so
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.rect_of("photos", d5).center())
    qtbot.waitUntil(lambda: pane.model.rowCount() == 0, timeout=10000)
    assert "No jobs match" in pane.empty.text()
    # changing a filter by hand drops the strip's selection
    pane.filters.plan.setCurrentIndex(0)
    assert not pane.strip_clear.isVisible()


def test_strip_follows_new_jobs(qtbot, window, catalogue):
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.count_label.text() == "0 jobs", timeout=10000)
    assert pane.strip.strips == []
    add_job(catalogue, plan="docs", status="failed", started=utcnow() - timedelta(minutes=1))
    pane.refresh()  # what the job watcher does when a job ends elsewhere
    qtbot.waitUntil(lambda: len(pane.strip.strips) == 1, timeout=10000)
    assert pane.strip.strips[0].cells[-1].state == "failed"
