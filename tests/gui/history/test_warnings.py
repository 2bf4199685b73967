"""Issue 18 (Show): a job with warnings (h18-watch's anomalies) is marked in the History table
and its texts are in its details, in the real main window."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from core.catalogue.jobs import finish_job, start_job
from gui import theme
from gui.panes.history.model import COL_STATUS, WARNINGS_ROLE
from tests.gui.backups.person import click_row, open_pane, shot

TEXT = "412 MiB, usual 3.1\u20133.4 GiB"


def _mark_pixels(window, image, pane, row: int) -> int:
    table = pane.table
    index = pane.model.index(row, COL_STATUS)
    rect = table.visualRect(index)
    want = theme.colour("warn_mark")
    n = 0
    for x in range(rect.left(), rect.right()):
        for y in range(rect.top(), rect.bottom()):
            p = table.viewport().mapTo(window, QPoint(x, y))
            if image.pixelColor(p.x(), p.y()).name() == want:
                n += 1
    return n


def test_warning_mark_and_texts(qtbot, window, catalogue, tmp_path):
    quiet = start_job(catalogue, engine="archive", kind="backup", plan_name="docs")
    finish_job(catalogue, quiet, "success", bytes=3 * 2**30)
    loud = start_job(catalogue, engine="archive", kind="backup", plan_name="docs")
    finish_job(catalogue, loud, "success", bytes=412 * 2**20, details={"warnings": [
        {"kind": "anomaly", "check": "size", "text": TEXT, "value": 412 * 2**20}]})
    pane = open_pane(qtbot, window, "History")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    row_of = {pane.model.row_at(i).id: i for i in range(2)}
    status = pane.model.index(row_of[loud], COL_STATUS)
    assert pane.model.data(status, WARNINGS_ROLE) == (TEXT,)
    assert TEXT in pane.model.data(status, 3)  # the tooltip
    assert pane.model.data(pane.model.index(row_of[quiet], COL_STATUS), WARNINGS_ROLE) == ()
    image = shot(window, tmp_path / "warnings.png")
    assert _mark_pixels(window, image, pane, row_of[loud]) > 0
    assert _mark_pixels(window, image, pane, row_of[quiet]) == 0
    click_row(qtbot, pane.table, pane.model.index(row_of[loud], 0))
    qtbot.waitUntil(lambda: TEXT in pane.detail.summary.text(), timeout=10000)
    assert "Warnings" in pane.detail.summary.text()
    click_row(qtbot, pane.table, pane.model.index(row_of[quiet], 0))
    qtbot.waitUntil(lambda: f"#{quiet}" in pane.detail.summary.text(), timeout=10000)
    assert "Warnings" not in pane.detail.summary.text()
