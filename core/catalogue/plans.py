"""Plans, with their destinations and schedules, in the catalogue (plain SQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conn, placeholders, to_datetime, to_json
from core.catalogue.models import Destination, Plan, Schedule
from core.errors import NotFoundError
from core.timeutil import utcnow

_PLAN = ("SELECT id, name, engine, enabled, sources, excludes, options, created_at, updated_at,"
         " host FROM plans")
_DEST = "SELECT id, plan_id, kind, location, enabled, position, options FROM destinations"
SCHEDULE_SELECT = ("SELECT id, plan_id, kind, expression, timezone, missed_policy, enabled,"
                   " last_run_at, next_due_at FROM schedules")


def schedule_from_row(r: Sequence[Any]) -> Schedule:
    return Schedule(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), to_datetime(r[7]),
                    to_datetime(r[8]))


def _dest(r: Sequence[Any]) -> Destination:
    return Destination(r[0], r[1], r[2], r[3], bool(r[4]), r[5], dict(to_json(r[6]) or {}))


def _plans(c: Conn, where: str = "", params: Sequence[Any] = ()) -> list[Plan]:
    plans = [Plan(r[0], r[1], r[2], bool(r[3]), list(to_json(r[4]) or []),
                  list(to_json(r[5]) or []), dict(to_json(r[6]) or {}),
                  to_datetime(r[7]) or utcnow(), to_datetime(r[8]) or utcnow(), host=r[9])
             for r in c.rows(f"{_PLAN}{where} ORDER BY name", params)]
    if not plans:
        return plans
    by_id = {p.id: p for p in plans}
    ids = f" WHERE plan_id IN ({placeholders(len(by_id))})"
    for r in c.rows(f"{_DEST}{ids} ORDER BY position, id", list(by_id)):
        by_id[r[1]].destinations.append(_dest(r))
    for r in c.rows(f"{SCHEDULE_SELECT}{ids} ORDER BY id", list(by_id)):
        by_id[r[1]].schedules.append(schedule_from_row(r))
    return plans


def find_plan(cat: Catalogue, name: str) -> Plan | None:
    """The plan of this name with its destinations and schedules, or None."""
    with cat.db.connect() as c:
        found = _plans(c, " WHERE name = ?", [name])
    return found[0] if found else None


def get_plan(cat: Catalogue, name: str) -> Plan:
    """The plan with its destinations and schedules; NotFoundError if there is none."""
    plan = find_plan(cat, name)
    if plan is None:
        raise NotFoundError(f"No plan named {name!r}.")
    return plan


def plan_by_id(cat: Catalogue, plan_id: int) -> Plan | None:
    with cat.db.connect() as c:
        found = _plans(c, " WHERE id = ?", [plan_id])
    return found[0] if found else None


def all_plans(cat: Catalogue) -> list[Plan]:
    """Every plan by name, with destinations and schedules."""
    with cat.db.connect() as c:
        return _plans(c)


def destinations_of(cat: Catalogue, plan_id: int) -> list[Destination]:
    with cat.db.connect() as c:
        return [_dest(r) for r in c.rows(f"{_DEST} WHERE plan_id = ? ORDER BY position, id",
                                         [plan_id])]


def shared_destination_ids(cat: Catalogue, ids: Sequence[int]) -> set[int]:
    """Those of these destinations every host sees: declared shared (a network mount), or a
    remote (rclone: S3, SFTP...)."""
    if not ids:
        return set()
    with cat.db.connect() as c:
        rows = c.rows(f"SELECT id, kind, options FROM destinations WHERE id IN"
                      f" ({placeholders(len(set(ids)))})", sorted(set(ids)))
    return {int(r[0]) for r in rows if is_shared(r[1], to_json(r[2]) or {})}


def is_shared(kind: str, options: Mapping[str, Any]) -> bool:
    """A destination every host sees: declared shared (a network mount), or a remote (rclone)."""
    return kind == "rclone" or bool(options.get("shared"))


def plan_id_of(c: Conn, name: str) -> int | None:
    pid = c.scalar("SELECT id FROM plans WHERE name = ?", [name])
    return int(pid) if pid is not None else None


def _insert_destination(c: Conn, plan_id: int, d: Destination) -> None:
    d.plan_id = plan_id
    d.id = c.insert("INSERT INTO destinations (plan_id, kind, location, enabled, position, options)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [plan_id, d.kind, d.location, d.enabled, d.position, d.options])


def insert_schedule(c: Conn, plan_id: int, sc: Schedule) -> None:
    sc.plan_id = plan_id
    sc.id = c.insert("INSERT INTO schedules (plan_id, kind, expression, timezone, missed_policy,"
                     " enabled, last_run_at, next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [plan_id, sc.kind, sc.expression, sc.timezone, sc.missed_policy,
                      sc.enabled, sc.last_run_at, sc.next_due_at])


def insert_plan(cat: Catalogue, plan: Plan) -> int:
    """Store a new plan with its destinations and schedules (ids are set on them);
    dbapi.Conflict if the name is taken."""
    with cat.db.transaction() as c:
        plan.id = c.insert(
            "INSERT INTO plans (name, engine, enabled, sources, excludes, options, created_at,"
            " updated_at, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [plan.name, plan.engine, plan.enabled, plan.sources, plan.excludes, plan.options,
             plan.created_at, plan.updated_at, plan.host])
        for d in plan.destinations:
            _insert_destination(c, plan.id, d)
        for sc in plan.schedules:
            insert_schedule(c, plan.id, sc)
    return plan.id


def _drop_others(c: Conn, table: str, plan_id: int, keep: list[int]) -> None:
    if keep:
        c.execute(f"DELETE FROM {table} WHERE plan_id = ? AND id NOT IN"
                  f" ({placeholders(len(keep))})", [plan_id, *keep])
    else:
        c.execute(f"DELETE FROM {table} WHERE plan_id = ?", [plan_id])


def save_plan(cat: Catalogue, plan: Plan) -> None:
    """Write back a loaded plan: its settings, and its destinations and schedules as they now
    are (those with id 0 are added, those no longer listed removed); dbapi.Conflict if its new
    name is taken."""
    plan.updated_at = utcnow()
    with cat.db.transaction() as c:
        c.execute("UPDATE plans SET name = ?, engine = ?, enabled = ?, sources = ?, excludes = ?,"
                  " options = ?, updated_at = ?, host = ? WHERE id = ?",
                  [plan.name, plan.engine, plan.enabled, plan.sources, plan.excludes,
                   plan.options, plan.updated_at, plan.host, plan.id])
        _drop_others(c, "destinations", plan.id, [d.id for d in plan.destinations if d.id])
        for d in plan.destinations:
            if d.id:
                c.execute("UPDATE destinations SET kind = ?, location = ?, enabled = ?,"
                          " position = ?, options = ? WHERE id = ?",
                          [d.kind, d.location, d.enabled, d.position, d.options, d.id])
            else:
                _insert_destination(c, plan.id, d)
        _drop_others(c, "schedules", plan.id, [sc.id for sc in plan.schedules if sc.id])
        for sc in plan.schedules:
            if not sc.id:
                insert_schedule(c, plan.id, sc)


def delete_plan(cat: Catalogue, plan_id: int) -> None:
    """Remove the plan, its destinations and schedules; its jobs and backups stay (their
    plan_id becomes NULL)."""
    with cat.db.transaction() as c:
        c.execute("DELETE FROM schedules WHERE plan_id = ?", [plan_id])
        c.execute("DELETE FROM destinations WHERE plan_id = ?", [plan_id])
        c.execute("DELETE FROM plans WHERE id = ?", [plan_id])
