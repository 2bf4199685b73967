"""What the plan editor saves, and how (runs in a worker): add_plan or update_plan, a
repository's passphrase to the secret store and its set-up (core.plan_setup), the keyring
fallback note once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import engines, keys, plans
from core.catalogue.db import Catalogue
from core.config import AppPaths
from core.errors import ConfigError
from core.plan_setup import repository_state as state
from core.plan_setup import set_up_repository, setup_problem
from core.scheduling.plan_schedules import KINDS, clear_schedule, set_schedule
from core.secrets import SecretStore


@dataclass
class PlanForm:
    name: str
    engine: str
    enabled: bool = True
    sources: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    schedule: str = ""  # the cron expression, '' for none
    options: dict[str, Any] = field(default_factory=dict)
    passphrase: str = ""  # of a repository; '' keeps the stored one
    repository_setup: str = ""  # "init", "existing" or "" (no repository step)
    # Every kind's expression ('' clears it), or None to leave all but the backup one alone.
    schedules: dict[str, str] | None = None
    timezone: str = ""  # of every schedule; '' = local time
    missed: str = "catch_up"  # or "skip"
    host: str | None = None  # the plan's host ('' any host), None to leave it
    shared: list[str] | None = None  # the shared destinations, None to leave them


@dataclass
class Saved:
    plan: dict[str, Any]
    notice: str | None
    recovery: str | None = None  # a new encryption key's recovery key, shown once
    encryption_off: str | None = None  # what turning encryption off means


def save_plan(cat: Catalogue, paths: AppPaths, form: PlanForm, original: str | None) -> Saved:
    """Create the plan (original None) or replace the settings of the plan named `original`."""
    set_up = bool(form.repository_setup and original is None
                  and engines.keeps_repository(form.engine))
    if set_up:
        problem = setup_problem(form.engine, str(form.options.get("repository", "")),
                                form.repository_setup)
        if problem:
            raise ConfigError(problem)
    store = SecretStore(paths)
    options = dict(form.options)
    secrets = {o.name for o in engines.get(form.engine).options.secrets()}
    if form.passphrase:  # core.plans moves it to the secret store
        options.update(dict.fromkeys(secrets, form.passphrase))
    kwargs: dict[str, Any] = {
        "sources": form.sources, "destinations": form.destinations,
        "excludes": form.excludes, "schedule": form.schedule or None,
        "options": options, "secrets": store,
    }
    before = plans.get_plan(cat, original).options if original is not None else {}
    recovery = keys.enable(options, before, engines.keeps_repository(form.engine), store)
    try:
        if original is None:
            plan = plans.add_plan(cat, form.name, form.engine, **kwargs)
            if not form.enabled:
                kwargs["options"] = {k: v for k, v in options.items() if k not in secrets}
                plan = plans.update_plan(cat, plan.name, enabled=False, **kwargs)
        else:
            plan = plans.update_plan(cat, original, new_name=form.name, enabled=form.enabled,
                                     **kwargs)
    except BaseException:
        if recovery:  # the new key encrypts nothing
            store.delete(keys.secret_key(options[keys.OPTION]))
        raise
    if form.shared is not None:
        plan = plans.mark_shared(cat, plan.name, form.shared, only=True)
    if form.host is not None:
        plan = plans.set_host(cat, plan.name, form.host or None)
    if form.schedules is not None:
        _save_schedules(cat, plan, form, original is None, store)
    off = keys.recipient_of(before) and not keys.recipient_of(plan.options)
    stored_secret = bool(plans.split_passwords(options)[1]) or bool(recovery)
    if set_up:
        set_up_repository(cat, paths, plan, create=form.repository_setup == "init",
                          trigger="manual", secrets=store)
    notice = store.fallback_notice() if stored_secret else None
    return Saved(plans.plan_json(plans.get_plan(cat, plan.name)), notice, recovery,
                 keys.turned_off(plan.name) if off else None)


def _save_schedules(cat: Catalogue, plan: Any, form: PlanForm, new: bool,
                    store: Any) -> None:
    """Each kind through core.scheduling.plan_schedules; a new plan goes again if one cannot be
    saved."""
    assert form.schedules is not None
    try:
        for kind in KINDS:
            expr = form.schedules.get(kind, "")
            if expr:
                set_schedule(cat, plan.name, expr, kind=kind, missed=form.missed,
                             timezone=form.timezone or None)
            else:
                clear_schedule(cat, plan.name, kind)
    except Exception:
        if new:
            plans.remove_plan(cat, plan.name, secrets=store)  # forgets its passwords too
        raise


def secret_place(paths: AppPaths) -> str:
    """Where passphrases go, as the end of a sentence: the truth, not the hope. Worker (the
    keyring probe may take a while)."""
    store = SecretStore(paths)
    if store.uses_fallback:
        return f"in {store.file}, readable only by you (no OS keyring here)"
    return "in the OS keyring"


def repository_state(engine: str, location: str) -> str | None:
    """Does `location` hold a repository ("repository", "missing", None: cannot tell)? Worker."""
    return state(engine, location)


def delete_plan(cat: Catalogue, paths: AppPaths, name: str) -> None:
    plans.remove_plan(cat, name, secrets=SecretStore(paths))


def load_plans(cat: Catalogue) -> list[dict[str, Any]]:
    return [plans.plan_json(p) for p in plans.list_plans(cat)]
