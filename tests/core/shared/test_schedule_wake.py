"""A sleeping scheduler notices a schedule set by another process (here: another catalogue
connection, as another host's `schedule set` would be) without waiting out its long sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.catalogue import open_catalogue
from core.config import AppConfig
from core.plans import add_plan
from core.scheduling.loop import Scheduler
from core.scheduling.plan_schedules import set_schedule


@contextmanager
def running(catalogue: Any, on_tick: Callable[[object], None]) -> Iterator[Scheduler]:
    """A real scheduler loop in a thread that, with no schedule, would sleep an hour."""
    sched = Scheduler(catalogue, lambda due: None, max_sleep=3600, on_tick=on_tick,
                      change_poll=0.2)
    thread = threading.Thread(target=sched.run, daemon=True)
    thread.start()
    try:
        yield sched
    finally:
        sched.stop()
        thread.join(timeout=30)


def test_schedule_set_elsewhere_wakes_the_scheduler(catalogue: Any, home: Path,
                                                    tmp_path: Path) -> None:
    add_plan(catalogue, "p", "archive", sources=[str(tmp_path)],
             destinations=[str(tmp_path.parent / f"{tmp_path.name}-d")])
    ticks: list[object] = []
    ticked = threading.Event()

    def on_tick(now: object) -> None:
        ticks.append(now)
        ticked.set()

    with running(catalogue, on_tick):
        assert ticked.wait(30)
        ticked.clear()
        other = open_catalogue(AppConfig.resolve(str(home)).catalogue_url)
        try:
            set_schedule(other, "p", "every 15 minutes")
        finally:
            other.dispose()
        assert ticked.wait(60), "the scheduler slept through a new schedule"
        assert len(ticks) >= 2


def test_a_schedule_set_while_the_scheduler_ticks_is_not_missed(catalogue: Any, home: Path,
                                                                tmp_path: Path) -> None:
    """Set after the tick read the schedules and before it sleeps: the change is still seen."""
    add_plan(catalogue, "p", "archive", sources=[str(tmp_path)],
             destinations=[str(tmp_path.parent / f"{tmp_path.name}-d")])
    ticks: list[object] = []
    second = threading.Event()
    url = AppConfig.resolve(str(home)).catalogue_url

    def on_tick(now: object) -> None:
        ticks.append(now)
        if len(ticks) == 1:  # another host sets a schedule while this tick runs
            other = open_catalogue(url)
            try:
                set_schedule(other, "p", "every 15 minutes")
            finally:
                other.dispose()
        else:
            second.set()

    with running(catalogue, on_tick):
        assert second.wait(60), "the scheduler slept through a schedule set during its tick"
