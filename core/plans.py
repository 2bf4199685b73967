"""Plans: create, read, list, update, remove; the JSON view that the CLI prints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from core import engines, hosts, plan_wide
from core.catalogue import plans as rows
from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conflict
from core.catalogue.models import Destination, Plan, Schedule
from core.catalogue.plans import get_plan as get_plan  # where it lives: `run` reads plans only
from core.config import AppPaths
from core.destinations import create_destination
from core.engines.dumps.urls import parse
from core.engines.schema import Secret
from core.errors import ConfigError, UsageError
from core.overlap import check_overlap
from core.remote import settings as remote_settings
from core.remote.location import is_remote
from core.remote.location import parse as parse_remote
from core.scheduling import expressions
from core.scheduling.plan_schedules import schedule_json
from core.secrets import SecretStore, db_secret_key
from core.tell import options as tell_options
from core.timeutil import iso

# Options every plan has, whatever its engine (hooks, pings...), each a Schema of its own module
# bound into `plan add/edit` beside the engines' (core.cli.plan_options).


def _validated(engine: str, sources: list[str], destinations: list[str],
               options: dict[str, Any] | None
               ) -> tuple[dict[str, Any], dict[str, str], list[str], list[str]]:
    """A plan's checked settings: options without passwords, the passwords, absolute sources
    and destinations."""
    spec = engines.get(engine)
    own, wide = plan_wide.split(dict(options or {}))
    opts = {**spec.validate_options({**spec.default_options, **own}), **wide}
    dests = [p.strip() if is_remote(p) else str(Path(p).expanduser().absolute())
             for p in destinations]
    for d in dests:
        if is_remote(d):
            parse_remote(d)  # a malformed sftp:// or s3:// location is refused here
    if not any(d.startswith("s3://") for d in dests):  # S3 keys only for S3 destinations
        for o in remote_settings.SCHEMA.secrets():
            opts.pop(o.name, None)
    opts, passwords = split_passwords(opts)
    opts, tell_secrets = tell_options.split_secrets(opts)
    passwords.update(tell_secrets)
    if not sources and not opts.get("databases"):
        raise ConfigError("A plan needs at least one source (--source) or database.")
    srcs = [str(Path(p).expanduser().absolute()) for p in sources]
    if not engines.keeps_repository(engine) and not dests:
        raise ConfigError("A plan needs at least one destination (--dest).")
    if any(is_remote(d) for d in dests) and engines.keeps_repository(engine):
        raise ConfigError(f"Plans of the {engine} engine keep their own repository; remote "
                          "destinations are for archive plans.")
    check_overlap(srcs, [d for d in dests if not is_remote(d)])
    return opts, passwords, srcs, dests


def add_plan(
    cat: Catalogue,
    name: str,
    engine: str,
    *,
    sources: list[str],
    destinations: list[str],
    excludes: list[str] | None = None,
    schedule: str | None = None,
    options: dict[str, Any] | None = None,
    secrets: SecretStore | None = None,
) -> Plan:
    """Create a plan; database passwords go to `secrets` (default: this home's store)."""
    name = name.strip()
    if not name:
        raise UsageError("A plan needs a name.")
    opts, passwords, srcs, dests = _validated(engine, sources, destinations, options)
    plan = Plan(name=name, engine=engine, sources=srcs, excludes=list(excludes or []),
                options=opts, host=hosts.home_for_new_plan(cat))
    plan.destinations = [new_destination(d, i) for i, d in enumerate(dests)]
    if schedule:
        plan.schedules = [Schedule(kind="backup", expression=expressions.normalise(schedule))]
    try:
        rows.insert_plan(cat, plan)
    except Conflict as e:
        raise ConfigError(f"A plan named {name!r} exists already.") from e
    if passwords:
        store = secrets or SecretStore(AppPaths.resolve())
        try:
            for url, password in passwords.items():
                store.set(db_secret_key(plan.id, url), password)
        except BaseException:
            remove_plan(cat, name)
            raise
    return get_plan(cat, name)


def update_plan(
    cat: Catalogue,
    name: str,
    *,
    sources: list[str],
    destinations: list[str],
    excludes: list[str] | None = None,
    schedule: str | None = None,
    options: dict[str, Any] | None = None,
    new_name: str | None = None,
    enabled: bool | None = None,
    secrets: SecretStore | None = None,
) -> Plan:
    """Replace a plan's settings, validated as in add_plan. Destinations with an unchanged
    location keep their record (their backups stay deletable); the backup schedule is replaced;
    new database passwords go to `secrets`, those of removed databases are forgotten. A
    plan-wide option (core.plan_wide) missing from `options` keeps its stored value (the plan
    editor shows only the engine's); an empty hook or URL removes it."""
    stored = get_plan(cat, name)
    kept = {k: v for k, v in stored.options.items() if plan_wide.schema_of(k) is not None}
    options = {**kept, **(options or {})}
    notify = options.get(tell_options.NOTIFY_KEY)
    if isinstance(notify, list) and notify != stored.options.get(tell_options.NOTIFY_KEY):
        # Some stored targets kept (as placeholders), some new or removed: the list anew.
        held = (secrets or SecretStore(AppPaths.resolve())).get(
            db_secret_key(stored.id, tell_options.NOTIFY_KEY))
        options[tell_options.NOTIFY_KEY] = tell_options.with_stored(
            [str(u) for u in notify], tell_options.notify_urls(held))
    opts, passwords, srcs, dests = _validated(stored.engine, sources, destinations, options)
    expression = expressions.normalise(schedule) if schedule and schedule.strip() else None
    target = (new_name if new_name is not None else name).strip()
    if not target:
        raise UsageError("A plan needs a name.")
    plan = stored
    plan_id, old_urls = plan.id, [str(u) for u in plan.options.get("databases") or []]
    old_options = dict(plan.options)
    plan.name, plan.sources, plan.excludes = target, srcs, list(excludes or [])
    plan.options = opts
    if enabled is not None:
        plan.enabled = enabled
    _replace_destinations(plan, dests)
    _replace_schedule(plan, expression)
    try:
        rows.save_plan(cat, plan)
    except Conflict as e:
        raise ConfigError(f"A plan named {target!r} exists already.") from e
    gone = [u for u in old_urls if u not in opts.get("databases", [])
            and not u.startswith("sqlite")]
    gone += [k for k in (tell_options.PING_KEY, tell_options.NOTIFY_KEY)
             if old_options.get(k) and not opts.get(k)]
    if passwords or gone:
        store = secrets or SecretStore(AppPaths.resolve())
        for url, password in passwords.items():
            store.set(db_secret_key(plan_id, url), password)
        for url in gone:
            store.delete(db_secret_key(plan_id, url))
    return get_plan(cat, target)


def set_host(cat: Catalogue, name: str, host: str | None) -> Plan:
    """Give the plan a home host (None: any host)."""
    host = host.strip() if host else None
    plan = get_plan(cat, name)
    plan.host = host or None
    rows.save_plan(cat, plan)
    return plan


def mark_shared(cat: Catalogue, name: str, locations: list[str], *,
                only: bool = False, unshared: list[str] | None = None) -> Plan:
    """Declare these destinations of the plan shared: a mount (NFS, SMB, S3) that every host
    sees, so any host verifies and restores the copies there; those `unshared` no longer.
    `only`: the others are not (the plan editor's list)."""
    plan = get_plan(cat, name)
    wanted, dropped = check_shared(name, [d.location for d in plan.destinations], locations,
                                   unshared or [])
    for d in plan.destinations:
        if d.location in wanted:
            d.options = {**d.options, "shared": True}
        elif (only or d.location in dropped) and d.options.get("shared"):
            d.options = {k: v for k, v in d.options.items() if k != "shared"}
    rows.save_plan(cat, plan)
    return plan


def check_shared(name: str, destinations: list[str], shared: list[str], unshared: list[str]
                 ) -> tuple[set[str], set[str]]:
    """The destinations to share and to unshare as the plan stores them; UsageError for one
    the plan does not have, one named in both, or a remote one unshared (every host reaches
    it: it is always shared)."""
    wanted, dropped = _locations(shared), _locations(unshared)
    unknown = (wanted | dropped) - _locations(destinations)
    if unknown:
        raise UsageError(f"Plan {name!r} has no destination {sorted(unknown)[0]}.")
    if wanted & dropped:
        raise UsageError(f"Destination {sorted(wanted & dropped)[0]} cannot be both shared "
                         "and not.")
    for loc in sorted(dropped):
        if is_remote(loc):
            raise UsageError(f"Destination {loc} is remote: every host reaches it, so it is "
                             "always shared.")
    return wanted, dropped


def _locations(given: list[str]) -> set[str]:
    """Destinations as the plan stores them (a folder absolute, a remote as typed)."""
    return {p.strip() if is_remote(p) else str(Path(p).expanduser().absolute()) for p in given}


def _replace_destinations(plan: Plan, dests: list[str]) -> None:
    by_location = {d.location: d for d in plan.destinations}
    kept = []
    for i, loc in enumerate(dests):
        d = by_location.pop(loc, None) or new_destination(loc, i)
        d.position = i
        kept.append(d)
    plan.destinations = kept


def new_destination(location: str, position: int) -> Destination:
    """A local folder is created with its marker; a remote is checked before each run."""
    if is_remote(location):
        return Destination(kind="rclone", location=location, position=position, options={})
    return Destination(kind="local", location=location, position=position,
                       options={"marker": create_destination(location)})


def _replace_schedule(plan: Plan, expression: str | None) -> None:
    others = [sc for sc in plan.schedules if sc.kind != "backup"]
    current = [sc for sc in plan.schedules if sc.kind == "backup"]
    if expression is None:
        plan.schedules = others
    elif current and current[0].expression == expression:
        plan.schedules = others + current[:1]
    else:
        plan.schedules = [*others, Schedule(kind="backup", expression=expression)]


def split_passwords(opts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Database URLs without their passwords, and the passwords by stored URL."""
    for o in _secret_options():  # kept as the secret "plan-ID:KEY" (a borg passphrase)
        if o.name in opts:
            rest, pw = split_passwords({k: v for k, v in opts.items() if k != o.name})
            return rest, {**pw, o.key: str(opts[o.name])}
    if not opts.get("databases"):
        return opts, {}
    urls, passwords = [], {}
    for raw in opts["databases"]:
        db = parse(str(raw))
        urls.append(db.redacted)
        if db.password is not None:
            passwords[db.redacted] = db.password
    return {**opts, "databases": urls}, passwords


def _secret_options() -> list[Secret]:
    return [*(o for spec in engines.engines().values() for o in spec.options.secrets()),
            *remote_settings.SCHEMA.secrets()]


def list_plans(cat: Catalogue) -> list[Plan]:
    return rows.all_plans(cat)


def remove_plan(cat: Catalogue, name: str, secrets: SecretStore | None = None) -> None:
    """Remove the plan and its schedules; its jobs and backups stay in the history."""
    plan = get_plan(cat, name)
    plan_id, urls = plan.id, list(plan.options.get("databases") or [])
    urls += [o.key for o in engines.get(plan.engine).options.secrets()]
    urls += [o.key for o in remote_settings.SCHEMA.secrets()]
    urls += [k for k in (tell_options.PING_KEY, tell_options.NOTIFY_KEY) if plan.options.get(k)]
    rows.delete_plan(cat, plan_id)
    if any(not str(u).startswith("sqlite") for u in urls):
        store = secrets or SecretStore(AppPaths.resolve())
        for url in urls:
            store.delete(db_secret_key(plan_id, str(url)))


def plan_json(plan: Plan, now: datetime | None = None) -> dict[str, Any]:
    now_local = (now or datetime.now().astimezone()).astimezone()
    return {
        "id": plan.id,
        "name": plan.name,
        "engine": plan.engine,
        "enabled": plan.enabled,
        "sources": list(plan.sources),
        "excludes": list(plan.excludes),
        "destinations": [
            {"id": d.id, "kind": d.kind, "location": d.location, "enabled": d.enabled,
             "shared": rows.is_shared(d.kind, d.options)}
            for d in plan.destinations
        ],
        "schedules": [{"id": sc.id, **schedule_json(sc, plan.name, now_local)}
                      for sc in plan.schedules],
        "options": dict(plan.options),
        "defaults": plan_wide.defaults_applying(plan.options),  # what applies while unset
        "host": plan.host,
        "created_at": iso(plan.created_at),
        "updated_at": iso(plan.updated_at),
    }
