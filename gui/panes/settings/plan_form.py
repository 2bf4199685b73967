"""What the plan editor saves, and how (runs in a worker): add_plan or update_plan, the borg
passphrase to the secret store, the keyring fallback note once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue.db import Catalogue
from core.config import AppPaths

COMPRESSIONS = ("zstd", "gzip", "none")
LEVELS = {"zstd": (1, 22, 3), "gzip": (1, 9, 6)}
KEEP_UNITS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")


def borg_passphrase_key(plan_id: int) -> str:
    """The borg engine's own key when it is installed, else the same spelling."""
    try:
        from core.engines.borg.repo import passphrase_key
    except ImportError:
        return f"plan-{plan_id}:borg-passphrase"
    return passphrase_key(plan_id)


def compression_text(algo: str, level: int | None) -> str:
    return algo if algo == "none" or level is None else f"{algo}:{level}"


def parse_compression(text: str) -> tuple[str, int | None]:
    algo, _, level = text.partition(":")
    return algo, int(level) if level.isdigit() else None


@dataclass
class PlanForm:
    name: str
    engine: str = "archive"
    enabled: bool = True
    sources: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    schedule: str = ""  # the cron expression, '' for none
    options: dict[str, Any] = field(default_factory=dict)
    passphrase: str = ""  # borg only; '' keeps the stored one
    borg_setup: str = ""  # "init", "existing" or "" (no repository step)
    # Every kind's expression ('' clears it), or None to leave all but the backup one alone.
    schedules: dict[str, str] | None = None
    timezone: str = ""  # of every schedule; '' = local time
    missed: str = "catch_up"  # or "skip"


@dataclass
class Saved:
    plan: dict[str, Any]
    notice: str | None


def save_plan(cat: Catalogue, paths: AppPaths, form: PlanForm, original: str | None) -> Saved:
    """Create the plan (original None) or replace the settings of the plan named `original`."""
    from core import plans
    from core.errors import ConfigError
    from core.secrets import SecretStore

    if form.engine == "borg" and form.borg_setup and original is None:
        problem = setup_problem(str(form.options.get("repository", "")), form.borg_setup)
        if problem:
            raise ConfigError(problem)
    store = SecretStore(paths)
    options = dict(form.options)
    if form.engine == "borg" and form.passphrase:
        options["passphrase"] = form.passphrase  # core.plans moves it to the secret store
    kwargs: dict[str, Any] = {
        "sources": form.sources, "destinations": form.destinations,
        "excludes": form.excludes, "schedule": form.schedule or None,
        "options": options, "secrets": store,
    }
    if original is None:
        plan = plans.add_plan(cat, form.name, form.engine, **kwargs)
        if not form.enabled:
            kwargs["options"] = {k: v for k, v in options.items() if k != "passphrase"}
            plan = plans.update_plan(cat, plan.name, enabled=False, **kwargs)
    else:
        plan = plans.update_plan(cat, original, new_name=form.name, enabled=form.enabled,
                                 **kwargs)
    if form.schedules is not None:
        _save_schedules(cat, plan, form, original is None, store)
    stored_secret = bool(plans.split_passwords(options)[1])
    if form.engine == "borg" and form.borg_setup and original is None:
        set_up_repository(cat, paths, plan, form.borg_setup == "init", store)
    notice = store.fallback_notice() if stored_secret else None
    return Saved(plans.plan_json(plans.get_plan(cat, plan.name)), notice)


def _save_schedules(cat: Catalogue, plan: Any, form: PlanForm, new: bool,
                    store: Any) -> None:
    """Each kind through core.schedule_store; a new plan goes again if one cannot be saved."""
    from core import plans
    from core.schedule_store import KINDS, clear_schedule, set_schedule

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
    from core.secrets import SecretStore

    store = SecretStore(paths)
    if store.uses_fallback:
        return f"in {store.file}, readable only by you (no OS keyring here)"
    return "in the OS keyring"


def repository_state(location: str) -> str | None:
    """"repository" when a local path holds a borg repository, "missing" when it holds none,
    None when that cannot be told without borg (a remote one, an empty field). Worker."""
    from pathlib import Path

    from core.engines.borg.repo import is_remote

    if not location or is_remote(location):
        return None
    try:
        config = (Path(location).expanduser() / "config").read_text(errors="replace")
    except OSError:
        return "missing"
    return "repository" if "[repository]" in config else "missing"


def setup_problem(location: str, setup: str) -> str | None:
    """Why the chosen repository step cannot work, told before any plan or job is recorded."""
    state = repository_state(location)
    if setup == "existing" and state == "missing":
        return (f"There is no borg repository at {location} yet: choose "
                "\u201cCreate a new repository\u201d, or correct the path.")
    if setup == "init" and state == "repository":
        return (f"{location} already holds a borg repository: choose "
                "\u201cUse an existing repository\u201d.")
    return None


def set_up_repository(cat: Catalogue, paths: AppPaths, plan: Any, create: bool,
                      store: Any) -> None:
    """borg init or check the repository, as `plan add` does; the plan goes again on failure."""
    from core import plans
    from core.errors import BackupDeskError

    try:
        from core.jobs.repository import setup_repository
    except ImportError:
        return
    try:
        setup_repository(cat, paths, plan, create=create, trigger="manual", secrets=store)
    except BackupDeskError:
        plans.remove_plan(cat, plan.name, secrets=store)  # forgets the passphrase too
        raise


def delete_plan(cat: Catalogue, paths: AppPaths, name: str) -> None:
    from core import plans
    from core.secrets import SecretStore

    plans.remove_plan(cat, name, secrets=SecretStore(paths))


def load_plans(cat: Catalogue) -> list[dict[str, Any]]:
    from core import plans

    return [plans.plan_json(p) for p in plans.list_plans(cat)]
