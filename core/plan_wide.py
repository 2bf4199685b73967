"""Plan-wide options: settings of any engine's plan that belong to no engine (the link of a
plan imported from borgmatic, ...). Each is declared as a Schema in its own module and listed
here; core.plans checks them beside the engine's options and keeps them in plan.options."""

from __future__ import annotations

from typing import Any

from core.borgmatic_options import BORGMATIC_OPTIONS
from core.engines.schema import Schema

SCHEMAS: tuple[Schema, ...] = (BORGMATIC_OPTIONS,)


def split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the engine's options, the plan-wide ones checked by their schemas)."""
    wide: dict[str, Any] = {}
    rest = dict(options)
    for schema in SCHEMAS:
        mine = {k: rest.pop(k) for k in list(rest) if k in schema}
        wide.update(schema.validate(mine))
    return rest, wide
