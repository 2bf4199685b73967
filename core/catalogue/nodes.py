"""Remote nodes (daemons and agents polled by the grid) in the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import to_datetime, to_json
from core.catalogue.models import RemoteNode
from core.timeutil import utcnow

_SELECT = ("SELECT id, name, mysql_url, rsync_url, agent_url, token_file, poll_interval_s,"
           " enabled, options, created_at FROM remote_nodes")
_FIELDS = ("name", "mysql_url", "rsync_url", "agent_url", "token_file", "poll_interval_s",
           "enabled", "options")


def _node(r: Sequence[Any]) -> RemoteNode:
    return RemoteNode(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]),
                      dict(to_json(r[8]) or {}), to_datetime(r[9]) or utcnow())


def all_nodes(cat: Catalogue) -> list[RemoteNode]:
    with cat.db.connect() as c:
        return [_node(r) for r in c.rows(_SELECT + " ORDER BY name")]


def find_node(cat: Catalogue, name: str) -> RemoteNode | None:
    with cat.db.connect() as c:
        r = c.first(_SELECT + " WHERE name = ?", [name])
    return _node(r) if r is not None else None


def insert_node(cat: Catalogue, node: RemoteNode) -> int:
    """dbapi.Conflict if the name is taken."""
    with cat.db.connect() as c:
        node.id = c.insert(f"INSERT INTO remote_nodes ({', '.join(_FIELDS)}, created_at)"
                           f" VALUES ({', '.join('?' * (len(_FIELDS) + 1))})",
                           [*(getattr(node, f) for f in _FIELDS), node.created_at])
    return node.id


def update_node(cat: Catalogue, old_name: str, node: RemoteNode) -> bool:
    """Replace the settings of the node named `old_name`: False if there is none,
    dbapi.Conflict if its new name is taken."""
    with cat.db.connect() as c:
        return c.execute(f"UPDATE remote_nodes SET {', '.join(f + ' = ?' for f in _FIELDS)}"
                         " WHERE name = ?",
                         [*(getattr(node, f) for f in _FIELDS), old_name]) > 0


def delete_node(cat: Catalogue, name: str) -> bool:
    with cat.db.connect() as c:
        return c.execute("DELETE FROM remote_nodes WHERE name = ?", [name]) > 0
