"""The borg engine: borg driven through its frontend contract (`--log-json`, `--json`).

Light to import: the flows (which need the catalogue) load on first use.
"""

from __future__ import annotations

from typing import Any


def prune(cat: Any, paths: Any, plan: Any, **kw: Any) -> list[str]:
    """Prune a borg plan's archives by its keep rules (see core.engines.borg.flows.prune)."""
    from core.engines.borg.flows import prune as _prune

    return _prune(cat, paths, plan, **kw)


def run_borg_plan(*args: Any, **kw: Any) -> Any:
    from core.engines.borg.flows import run_borg_plan as _run

    return _run(*args, **kw)
