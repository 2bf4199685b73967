"""One `nodes_changed` signal per AppContext, so a node editor anywhere reloads the grid."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.context import AppContext

NAME = "grid-node-signals"


class NodeSignals(QObject):
    nodes_changed = Signal()


def node_signals(ctx: AppContext) -> NodeSignals:
    found = ctx.findChild(NodeSignals, NAME)
    if isinstance(found, NodeSignals):
        return found
    sig = NodeSignals(ctx)
    sig.setObjectName(NAME)
    return sig
