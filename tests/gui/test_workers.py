"""A result that arrives after its widget was closed is dropped, not raised in the event loop."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from gui.workers import Workers


def test_a_result_for_a_deleted_widget_is_dropped(qtbot):
    workers = Workers()
    gate = threading.Event()
    label = QLabel("waiting")
    shown: list[str] = []

    def slow() -> str:
        gate.wait(10)
        return "done"

    workers.submit(slow, on_result=lambda text: (label.setText(text), shown.append(text)),
                   context=label)
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label))
    gate.set()
    assert workers.wait(10000)
    qtbot.waitUntil(lambda: not workers.busy())
    assert shown == []


def test_a_result_for_a_live_widget_is_delivered(qtbot):
    workers = Workers()
    label = QLabel("waiting")
    qtbot.addWidget(label)
    workers.submit(lambda: "done", on_result=label.setText, context=label)
    qtbot.waitUntil(lambda: label.text() == "done")
