"""The Devices pane as a person uses it, in the real main window, against real HTTP daemons on
127.0.0.1: sentinel times, empty statuses, long names, the empty state's Add node."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from core.grid.nodes import NodeSpec, add_node
from gui.panes.devices.model import DEVICE_ROLE
from gui.panes.devices.tile import TILE, tile_texts
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body
from tests.gui.settings.clicks import click, open_pane, type_into

LONG = "INCUBATOR_ROOM_B_ETHOSCOPE_0"


def lab(farm: DaemonFarm) -> tuple[str, str]:
    m = mysql_body(5, prefix="e")
    r = rsync_body(1, prefix="e")
    m["e0000abcdef"].update(name=LONG + "42", started=0, ended=0)  # never backed up
    m["e0001abcdef"].update(name=LONG + "43", started=1752137000, ended=-1)  # crashed
    m["e0002abcdef"]["status"] = ""  # and the rsync daemon does not know it
    m["e0002abcdef"]["name"] = "BLANK_STATUS"
    m["e0003abcdef"] = ["not", "an", "object"]  # invalid
    m["e0004abcdef"] = ["also", "invalid"]
    for k in ("e0001abcdef", "e0002abcdef", "e0003abcdef", "e0004abcdef"):
        r["devices"].pop(k, None)
    r["devices"]["e0000abcdef"].update(started=0, ended=0)
    return farm.add(Behaviour(body=m)), farm.add(Behaviour(body=r))


def tile_of(qtbot: Any, pane: Any, key: str) -> None:
    """Click the device's tile."""
    row = pane.model.row_of(key)
    assert row >= 0, key
    rect = pane.view.visualRect(pane.model.index(row))
    qtbot.mouseClick(pane.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: pane.detail.key == key, timeout=5000)


def test_sentinels_blank_status_and_long_names(qtbot, window, catalogue, farm):
    mysql, rsync = lab(farm)
    add_node(catalogue, NodeSpec("lab", mysql_url=mysql, rsync_url=rsync))
    pane = open_pane(qtbot, window, "Devices")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=20000)
    tile_of(qtbot, pane, "lab/e0000abcdef")
    text = pane.detail.summary.text()
    assert "last end: never" in text and " d ago" not in text
    tile_of(qtbot, pane, "lab/e0001abcdef")
    assert "last end: crashed" in pane.detail.summary.text()
    tile_of(qtbot, pane, "lab/e0002abcdef")
    summary = pane.detail.summary.text()
    assert "(unknown)" in summary and "()" not in summary
    # Long names that differ only at the end stay apart on their tiles; the tooltip is whole.
    font = pane.view.font()
    bold = QFont(font)
    bold.setBold(True)
    width = TILE.width() - 28
    names = {}
    for key in ("lab/e0000abcdef", "lab/e0001abcdef", "lab/e0003abcdef", "lab/e0004abcdef"):
        d = pane.model.index(pane.model.row_of(key)).data(DEVICE_ROLE)
        names[key] = tile_texts(d, QFontMetrics(bold), QFontMetrics(font), width)[0]
    assert len(set(names.values())) == 4, names
    assert names["lab/e0000abcdef"].endswith("42") and names["lab/e0001abcdef"].endswith("43")
    tip = pane.model.index(pane.model.row_of("lab/e0001abcdef")).data(Qt.ItemDataRole.ToolTipRole)
    assert LONG + "43" in tip


def test_empty_state_adds_a_node_and_tests_its_connection(qtbot, window, catalogue, farm):
    pane = open_pane(qtbot, window, "Devices")
    qtbot.waitUntil(lambda: pane.nodes is not None, timeout=10000)
    assert pane.stack.currentWidget() is pane.empty and pane.add_node_button.isVisible()
    click(qtbot, pane.add_node_button)
    settings = window.pane("settings")
    assert window.stack.currentWidget() is settings
    nodes = settings.nodes
    assert settings.tabs.currentWidget() is nodes
    type_into(qtbot, nodes.name, "lab-east")
    type_into(qtbot, nodes.mysql, farm.add(Behaviour(body=mysql_body(2))))
    type_into(qtbot, nodes.rsync, "http://127.0.0.1:9/status")  # nobody listens there
    click(qtbot, nodes.test_button)
    qtbot.waitUntil(lambda: "rsync" in nodes.test_result.text(), timeout=20000)
    lines = nodes.test_result.text().splitlines()
    assert lines[0].startswith("MySQL backup daemon: answers")
    assert lines[1].startswith("rsync backup daemon:") and "answers" not in lines[1]
