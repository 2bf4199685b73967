"""A destination inside a source (each backup would contain the previous ones) or a source
inside a destination: refused for every plan, whichever way it is made."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import ConfigError


def _real(p: str) -> Path:
    return Path(os.path.realpath(Path(p).expanduser()))


def overlap_problem(sources: list[str], destinations: list[str]) -> str | None:
    """Why these sources and destinations cannot go together, or None."""
    for d in destinations:
        dest = _real(d)
        for s in sources:
            src = _real(s)
            if dest == src or dest.is_relative_to(src):
                return (f"The destination {d} is inside the source {s}: each backup would "
                        "contain the previous ones. Choose a destination outside it.")
            if src.is_relative_to(dest):
                return (f"The source {s} is inside the destination {d}: the backups would "
                        "back up themselves. Choose a destination outside it.")
    return None


def check_overlap(sources: list[str], destinations: list[str]) -> None:
    if problem := overlap_problem(sources, destinations):
        raise ConfigError(problem)
