from __future__ import annotations

from pytestqt.qtbot import QtBot

from core.grid.nodes import NodeSpec, add_node, list_nodes
from gui.context import AppContext
from gui.panes.devices.node_editor import NodeEditor
from gui.panes.devices.signals import node_signals


def editor(ctx: AppContext, qtbot: QtBot) -> NodeEditor:
    w = NodeEditor(ctx)
    qtbot.addWidget(w)
    return w


def test_add_edit_remove(ready_ctx: AppContext, qtbot: QtBot) -> None:
    cat = ready_ctx.catalogue
    assert cat is not None
    w = editor(ready_ctx, qtbot)
    w.name.setText("lab1")
    w.mysql.setText("lab1")
    w.interval.setValue(30)
    with qtbot.waitSignal(node_signals(ready_ctx).nodes_changed):
        w.save_button.click()
    assert [(n.name, n.mysql_url, n.poll_interval_s) for n in list_nodes(cat)] == [
        ("lab1", "http://lab1:8090/status", 30)]
    qtbot.waitUntil(lambda: w.list.count() == 1)

    w.list.setCurrentRow(0)
    assert w.mysql.text() == "http://lab1:8090/status"
    w.enabled.setChecked(False)
    w.rsync.setText("http://lab1:9000")
    with qtbot.waitSignal(w.saved):
        w.save_button.click()
    (node,) = list_nodes(cat)
    assert node.enabled is False and node.rsync_url == "http://lab1:9000/status"
    qtbot.waitUntil(lambda: w.list.count() == 1 and w.list.item(0).text() == "lab1 (off)")

    w.list.setCurrentRow(0)
    with qtbot.waitSignal(w.saved):
        w.remove_button.click()
    assert list_nodes(cat) == []
    assert w.name.text() == ""


def test_mistakes_are_shown_under_the_form(ready_ctx: AppContext, qtbot: QtBot) -> None:
    assert ready_ctx.catalogue is not None
    add_node(ready_ctx.catalogue, NodeSpec("taken", mysql_url="h"))
    w = editor(ready_ctx, qtbot)
    w.name.setText("x")
    w.agent.setText("h")
    with qtbot.waitSignal(w.failed) as blocker:
        w.save_button.click()
    assert blocker.args == ["The Backup Desk agent needs a token file (--token-file), the file "
                            "holding its bearer token."]
    assert w.message.text() == blocker.args[0]
    w.clear()
    w.name.setText("taken")
    w.rsync.setText("h")
    with qtbot.waitSignal(w.failed) as blocker:
        w.save_button.click()
    assert "exists already" in blocker.args[0]
