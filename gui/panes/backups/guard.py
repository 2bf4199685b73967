"""Worker callbacks that outlive their widget: drop the result once the widget is gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject


def alive(obj: QObject) -> bool:
    return shiboken6.isValid(obj)


def guarded(obj: QObject, fn: Callable[..., Any]) -> Callable[..., None]:
    """`fn`, called only while `obj`'s C++ object exists."""

    def call(*args: Any) -> None:
        if shiboken6.isValid(obj):
            fn(*args)

    return call
