"""How every engine lays a plan's sources out in a backup and a restore."""

from __future__ import annotations

from pathlib import Path


def top_names(sources: list[str]) -> dict[str, str]:
    """Each source becomes a top-level entry named after its base name, made unique."""
    names: dict[str, str] = {}
    for src in sources:
        base = Path(src).name or "root"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names[name] = src
    return names
