"""Telling the world about jobs: hooks, pings, notifications (and `/metrics`, core.tell.metrics).

`install(paths)` registers the job lifecycle's guard and listener once per process (the CLI
does at start-up, which covers the window and the background service); nothing is registered
at import time. `announce(...)` sends a plan's notification once per key (core.tell.notify).
The package itself imports nothing: `core.plans` reads its option schema (core.tell.options)
on every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import AppPaths


def install(paths: AppPaths) -> None:
    from core.tell.runtime import install as _install  # the job layer: only when jobs run

    _install(paths)


def announce(*args: Any, **kwargs: Any) -> bool:
    """core.tell.notify.announce(cat, plan, event, title, body, key)."""
    from core.tell.notify import announce as _announce

    return _announce(*args, **kwargs)
