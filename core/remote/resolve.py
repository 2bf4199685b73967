"""A destination string with the settings of the plan that owns it, read from the catalogue."""

from __future__ import annotations

from collections.abc import Callable

from core.catalogue.db import Catalogue
from core.catalogue.plans import plan_by_id
from core.config import AppPaths
from core.remote.location import Remote, RemoteSettings, parse
from core.remote.settings import settings_for
from core.secrets import SecretStore

Resolve = Callable[[int | None, str], Remote]


def resolver(cat: Catalogue, secrets: SecretStore | None) -> Resolve:
    """location -> Remote with the settings of the plan that owns it (each plan read once)."""
    cache: dict[int | None, RemoteSettings] = {}

    def resolve(plan_id: int | None, location: str) -> Remote:
        if plan_id not in cache:
            plan = plan_by_id(cat, plan_id) if plan_id is not None else None
            cache[plan_id] = settings_for(plan_id, plan.options if plan else {}, secrets)
        return parse(location, cache[plan_id])

    return resolve


def for_catalogue(cat: Catalogue) -> Resolve:
    """The resolver with this home's secret store (the S3 keys)."""
    return resolver(cat, SecretStore(AppPaths.resolve()))
