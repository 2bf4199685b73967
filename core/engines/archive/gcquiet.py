"""Fewer garbage collections while an archive is written.

A run keeps an Item, a stat result and a manifest entry alive for every file until its end; with
the usual thresholds that is a full collection of the whole process every few thousand files
(about 40 ms each in a process that has SQLAlchemy loaded, 5-8 % of a 20,000-file backup).
The run's objects hold no reference cycles, so collections are made rare for its duration (the
same threshold as start-up uses, see core/startup.py), not turned off, and the usual ones come
back when the last concurrent run ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RARE = 50_000

_lock = threading.Lock()
_runs = 0
_saved: tuple[int, int, int] | None = None  # the thresholds to restore, if we changed them
_ours: tuple[int, int, int] | None = None  # what we set them to


@contextmanager
def rare_collections() -> Iterator[None]:
    global _runs, _saved, _ours
    with _lock:
        if _runs == 0:
            saved = gc.get_threshold()
            if 0 < saved[0] < RARE:  # 0: collection is off; left alone like higher thresholds
                _saved, _ours = saved, (RARE, saved[1], saved[2])
                gc.set_threshold(*_ours)
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0:
                if _saved is not None and gc.get_threshold() == _ours:  # else someone changed them
                    gc.set_threshold(*_saved)
                _saved = _ours = None
