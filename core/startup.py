"""Garbage collection while the process imports its libraries.

Importing SQLAlchemy and Qt allocates hundreds of thousands of objects, and the default
thresholds run dozens of collections over them (a fifth of the import time). Start-up collects
rarely; once the heavy imports are done, the start-up objects are frozen out of later full
collections (shorter pauses in the GUI) and the usual thresholds come back.
"""

from __future__ import annotations

import gc

_USUAL = gc.get_threshold()
_started = False


def begin() -> None:
    global _started
    _started = True
    gc.set_threshold(50_000, _USUAL[1], _USUAL[2])


def end() -> None:
    """The heavy imports are done (called when the catalogue is open)."""
    global _started
    if _started:
        _started = False
        gc.freeze()
        gc.set_threshold(*_USUAL)
