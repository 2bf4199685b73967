"""Plan-wide options (not an engine's: encryption, remote settings, the watchdog's, hooks and
pings): each a Schema of its own module, bound here once into `plan add`/`plan edit` and the
plan's validation, beside the engine's schema."""

from __future__ import annotations

from typing import Any

from core.borgmatic_options import BORGMATIC_OPTIONS
from core.engines.schema import Schema
from core.keys import ENCRYPTION
from core.remote import settings as remote_settings
from core.tell import options as tell_options
from core.watch.options import WATCH

SCHEMAS: tuple[Schema, ...] = (ENCRYPTION, remote_settings.SCHEMA, WATCH, tell_options.SCHEMA,
                               BORGMATIC_OPTIONS)


def schema_of(key: str) -> Schema | None:
    """The plan-wide schema that declares `key`; None for an engine's option."""
    return next((s for s in SCHEMAS if key in s), None)


def split(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The engine's options, and the plan-wide ones checked."""
    engine, wide = {}, {}
    for key, value in opts.items():
        schema = schema_of(key)
        if schema is None:
            engine[key] = value
        else:
            wide.update(schema.validate({key: value}))
    return engine, wide


def defaults_applying(options: dict[str, Any]) -> dict[str, Any]:
    """The plan-wide options `options` leave unset that have a default, with that default
    (what applies to the plan; never stored)."""
    return {o.name: o.default for s in SCHEMAS for o in s.options
            if o.default is not None and options.get(o.name) in (None, "", [])}
