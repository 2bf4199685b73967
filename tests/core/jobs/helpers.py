"""Engines registered at test time, to check that jobs go by what an engine declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import engines
from core.engines import EngineSpec
from core.plans import add_plan


def plan_of_engine(cat: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                   spec: EngineSpec, plan: str, options: dict[str, Any] | None = None) -> None:
    """Register `spec` for this test and add a plan of it (a source folder, one destination)."""
    engines._load_builtin()
    monkeypatch.setitem(engines._REGISTRY, spec.name, spec)
    (tmp_path / "src").mkdir(exist_ok=True)
    add_plan(cat, plan, spec.name, sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / f"{plan}-dest")], options=options)
