from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytestqt.qtbot import QtBot

from core.catalogue.db import Catalogue
from core.grid.memory import memory_path
from core.grid.nodes import NodeSpec, add_node
from gui.context import AppContext
from gui.panes.devices.controller import GridController
from gui.panes.devices.model import DEVICE_ROLE, STATE_ROLE
from gui.panes.devices.pane import DevicesPane
from gui.panes.devices.tile import tile_colour
from tests.core.grid.daemons import Behaviour, DaemonFarm, mysql_body, rsync_body
from tests.gui.devices.conftest import LIMITS
from tests.gui.devices.helpers import mixed_lab

MakePane = Callable[[], DevicesPane]


def add_lab(cat: Catalogue, farm: DaemonFarm) -> dict[str, dict[str, str]]:
    lab = mixed_lab(farm)
    for name, urls in lab.items():
        add_node(cat, NodeSpec(name, mysql_url=urls["mysql"], rsync_url=urls["rsync"]))
    return lab


def states(pane: DevicesPane) -> dict[str, str]:
    m = pane.model
    return {m.index(r).data(DEVICE_ROLE).key: m.index(r).data(STATE_ROLE)
            for r in range(m.rowCount())}


def test_empty_state_without_nodes(ctx: AppContext, catalogue: Catalogue, make_pane: MakePane,
                                   qtbot: QtBot) -> None:
    pane = make_pane()
    ctx.set_catalogue(catalogue)
    qtbot.waitUntil(lambda: pane.nodes is not None)
    assert pane.stack.currentWidget() is pane.empty


def test_nodes_load_after_catalogue_ready_and_tiles_get_their_states(
        ctx: AppContext, catalogue: Catalogue, farm: DaemonFarm, make_pane: MakePane,
        qtbot: QtBot) -> None:
    add_lab(catalogue, farm)
    pane = make_pane()
    assert pane.controller.targets == []  # no catalogue yet
    ctx.set_catalogue(catalogue)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=10000)
    s = states(pane)
    assert s["lab-east/a0001abcdef"] == "error"
    assert s["lab-east/a0002abcdef"] == "partial"
    assert s["lab-east/a0004abcdef"] == "invalid"
    assert s["lab-west/b0000abcdef"] == "success"
    assert s["lab-north/c0000abcdef"] == "partial"
    assert pane.model.index(0).data(STATE_ROLE) == "error"  # sorted by state
    assert "Error 1" in pane.header.counts["error"].text()
    assert "Backing up 1" in pane.header.processing.text()
    assert "Disk usage: Results: 87,357 files" in pane.header.disk.text()
    qtbot.waitUntil(lambda: "lab-north" in pane.header.services.text())
    assert "reports: MySQL service down" in pane.header.services.toolTip()


def test_tooltip_detail_search_and_sort(ready_ctx: AppContext, farm: DaemonFarm,
                                        make_pane: MakePane, qtbot: QtBot) -> None:
    assert ready_ctx.catalogue is not None
    add_lab(ready_ctx.catalogue, farm)
    pane = make_pane()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=10000)
    row = pane.model.row_of("lab-east/a0001abcdef")
    tip = pane.model.index(row).data(0x03)  # ToolTipRole
    assert tip.startswith("ETHOSCOPE_001: Error")
    assert "MySQL: FAILED (stopped) - mysqldump: Got error 2013" in tip
    assert "Videos: 12,529 files, 507.2 GB" in tip
    pane.select("lab-east/a0004abcdef")
    assert '"mysql_backup": [\n      "not",' in pane.detail.raw.toPlainText()
    assert "entry is a JSON list" in pane.detail.summary.text()
    pane.search.setText("incubator")
    assert pane.model.rowCount() == 3
    pane.search.setText("")
    pane.sort.setCurrentIndex(pane.sort.findData("name"))
    names = [pane.model.index(r).data() for r in range(pane.model.rowCount())]
    assert names == sorted(names, key=str.lower)


def test_turning_error_then_offline_notifies_once_each(ready_ctx: AppContext, farm: DaemonFarm,
                                                       make_pane: MakePane, qtbot: QtBot) -> None:
    assert ready_ctx.catalogue is not None
    m = farm.add(Behaviour(body=mysql_body(1)))
    r = farm.add(Behaviour(body=rsync_body(1)))
    add_node(ready_ctx.catalogue, NodeSpec("n1", mysql_url=m, rsync_url=r))
    notes: list[tuple[str, str]] = []
    ready_ctx.notify.connect(lambda t, msg: notes.append((t, msg)))
    pane = make_pane()
    key = "n1/dev0000abcdef"
    qtbot.waitUntil(lambda: states(pane).get(key) == "success", timeout=10000)
    assert notes == []

    farm.set(m, Behaviour(body=mysql_body(1, "error")))
    with qtbot.waitSignal(ready_ctx.notify, timeout=10000) as blocker:
        pane.controller.refresh()
    assert blocker.args == ["ETHOSCOPE_000 failed",
                            "ETHOSCOPE_000 on n1 failed (mysql: MySQL backup error)"]
    with qtbot.waitSignal(pane.controller.batch_ready, timeout=10000):
        pane.controller.refresh()  # still failing: no second notification
    qtbot.waitUntil(lambda: states(pane).get(key) == "error")
    assert len(notes) == 1

    for url in (m, r):
        farm.set(url, Behaviour(body={"detail": "maintenance"}, status=503))
    with qtbot.waitSignal(ready_ctx.notify, timeout=10000) as blocker:
        pane.controller.refresh()
    assert blocker.args[0] == "ETHOSCOPE_000 is offline"
    assert "HTTP 503" in blocker.args[1]
    assert states(pane)[key] == "offline"
    assert "Offline 1" in pane.header.counts["offline"].text()
    with qtbot.waitSignal(pane.controller.batch_ready, timeout=10000):
        pane.controller.refresh()
    assert len(notes) == 2


def test_devices_already_failing_are_summed_up_in_one_notification(
        ready_ctx: AppContext, farm: DaemonFarm, make_pane: MakePane, qtbot: QtBot) -> None:
    assert ready_ctx.catalogue is not None
    m = farm.add(Behaviour(body=mysql_body(4, "error")))
    add_node(ready_ctx.catalogue, NodeSpec("n1", mysql_url=m))
    with qtbot.waitSignal(ready_ctx.notify, timeout=10000) as blocker:
        make_pane()
    assert blocker.args[0] == "4 devices need attention"
    assert "ETHOSCOPE_000" in blocker.args[1]


def test_processing_tiles_breathe_and_colours_follow_the_seed() -> None:
    from PySide6.QtGui import QColor

    assert tile_colour("success", False) == QColor("#2e9d4f")
    assert tile_colour("offline", False) == QColor("#1d1d1f")
    a, b = tile_colour("error", True, 0.0), tile_colour("error", True, 1.6)
    assert a != b and a.hue() == b.hue()


def test_removed_nodes_lose_their_tiles(ready_ctx: AppContext, farm: DaemonFarm,
                                        make_pane: MakePane, qtbot: QtBot) -> None:
    from core.grid.nodes import remove_node
    from gui.panes.devices.signals import node_signals

    cat = ready_ctx.catalogue
    assert cat is not None
    add_lab(cat, farm)
    pane = make_pane()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=10000)
    remove_node(cat, "lab-east")
    node_signals(ready_ctx).nodes_changed.emit()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=10000)
    keys: Any = states(pane)
    assert not any(k.startswith("lab-east/") for k in keys)


def test_poller_on_a_thread_when_no_worker_process_can_be_started(
        ready_ctx: AppContext, farm: DaemonFarm, qtbot: QtBot) -> None:
    from gui.panes.devices.controller import GridController
    from tests.gui.devices.conftest import LIMITS

    assert ready_ctx.catalogue is not None
    add_lab(ready_ctx.catalogue, farm)
    pane = DevicesPane(ready_ctx, controller=GridController(limits=LIMITS, in_process=True))
    qtbot.addWidget(pane)
    try:
        qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=10000)
        assert states(pane)["lab-east/a0001abcdef"] == "error"
    finally:
        pane.shutdown()


def test_empty_grid_says_why(ready_ctx: AppContext, make_pane: MakePane, qtbot: QtBot) -> None:
    from tests.core.grid.daemons import refusing_url

    assert ready_ctx.catalogue is not None
    add_node(ready_ctx.catalogue, NodeSpec("dead", mysql_url=refusing_url(),
                                           rsync_url=refusing_url()))
    pane = make_pane()
    qtbot.waitUntil(lambda: pane.view.placeholder.startswith("No devices: no daemon answers"),
                    timeout=10000)
    assert pane.model.rowCount() == 0
    assert "connection refused" in pane.header.services.toolTip()


def test_only_processing_tiles_breathe(ready_ctx: AppContext, farm: DaemonFarm,
                                       make_pane: MakePane, qtbot: QtBot) -> None:
    assert ready_ctx.catalogue is not None
    add_lab(ready_ctx.catalogue, farm)
    pane = make_pane()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 10, timeout=10000)
    rows = pane.model.processing_rows()
    assert [pane.model.index(r).data() for r in rows] == ["ETHOSCOPE_003"]
    qtbot.waitUntil(pane.breathe.isActive)
    phase = pane.delegate.phase
    qtbot.waitUntil(lambda: pane.delegate.phase > phase)


def test_showing_the_pane_picks_up_nodes_added_elsewhere(
        ready_ctx: AppContext, farm: DaemonFarm, make_pane: MakePane, qtbot: QtBot) -> None:
    cat = ready_ctx.catalogue
    assert cat is not None
    pane = make_pane()
    qtbot.waitUntil(lambda: pane.nodes == [])
    add_node(cat, NodeSpec("late", mysql_url=farm.add(Behaviour(body=mysql_body(2)))))
    pane.show()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=10000)
    assert [t.name for t in pane.controller.targets] == ["late"]


def test_a_node_down_at_start_shows_its_last_devices_offline(
        ready_ctx: AppContext, farm: DaemonFarm, qtbot: QtBot) -> None:
    """Both daemons down when the window starts: the devices the node reported last time are
    offline tiles and count in the header's Offline (no Devices pane opened in between)."""
    assert ready_ctx.catalogue is not None
    m = farm.add(Behaviour(body=mysql_body(2)))
    r = farm.add(Behaviour(body=rsync_body(2)))
    add_node(ready_ctx.catalogue, NodeSpec("n1", mysql_url=m, rsync_url=r))
    memory = memory_path(ready_ctx.config.paths)
    first = DevicesPane(ready_ctx, controller=GridController(limits=LIMITS, memory=memory))
    qtbot.addWidget(first)
    qtbot.waitUntil(lambda: set(states(first).values()) == {"success"}, timeout=10000)
    assert len(states(first)) == 2
    first.shutdown()

    for url in (m, r):
        farm.set(url, Behaviour(body={"detail": "down"}, status=503))
    second = DevicesPane(ready_ctx, controller=GridController(limits=LIMITS, memory=memory))
    qtbot.addWidget(second)
    try:
        qtbot.waitUntil(lambda: len(states(second)) == 2, timeout=10000)
        assert set(states(second).values()) == {"offline"}
        assert "Offline 2" in second.header.counts["offline"].text()
    finally:
        second.shutdown()
