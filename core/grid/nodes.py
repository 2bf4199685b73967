"""Remote nodes in the catalogue: one URL per daemon kind, a poll interval, an enabled flag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.catalogue import nodes as rows
from core.catalogue.db import Catalogue
from core.catalogue.dbapi import Conflict
from core.catalogue.models import RemoteNode
from core.errors import NotFoundError, UsageError
from core.grid.adapters import KINDS, Endpoint, Target, normalise_url
from core.grid.merge import RSYNC

MIN_INTERVAL_S = 5
MAX_INTERVAL_S = 86400


@dataclass(frozen=True)
class NodeSpec:
    name: str
    mysql_url: str | None = None
    rsync_url: str | None = None
    agent_url: str | None = None
    token_file: str | None = None
    poll_interval_s: int = 60
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        found = {"mysql": self.mysql_url, "rsync": self.rsync_url, "agent": self.agent_url}
        return {k: v for k, v in found.items() if v}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "mysql_url": self.mysql_url, "rsync_url": self.rsync_url,
            "agent_url": self.agent_url, "token_file": self.token_file,
            "poll_interval_s": self.poll_interval_s, "enabled": self.enabled,
        }


def validate(spec: NodeSpec) -> NodeSpec:
    """The spec with normalised URLs; UsageError with a sentence for each mistake."""
    name = spec.name.strip()
    if not name:
        raise UsageError("A node needs a name.")
    if len(name) > 200:
        raise UsageError("A node name has at most 200 characters.")
    urls = {k: normalise_url(k, v) for k, v in spec.urls().items()}
    if not urls:
        raise UsageError(f"Node {name!r} needs at least one URL: --mysql, --rsync or --agent.")
    if "agent" in urls and not spec.token_file:
        raise UsageError("The Backup Desk agent needs a token file (--token-file), the file "
                         "holding its bearer token.")
    if spec.token_file and "agent" not in urls:
        raise UsageError("--token-file is only used with --agent.")
    if not MIN_INTERVAL_S <= spec.poll_interval_s <= MAX_INTERVAL_S:
        raise UsageError(f"The poll interval must be between {MIN_INTERVAL_S} and "
                         f"{MAX_INTERVAL_S} seconds.")
    return NodeSpec(name, urls.get("mysql"), urls.get("rsync"), urls.get("agent"),
                    spec.token_file, spec.poll_interval_s, spec.enabled, dict(spec.options))


def _spec(n: RemoteNode) -> NodeSpec:
    return NodeSpec(n.name, n.mysql_url, n.rsync_url, n.agent_url, n.token_file,
                    n.poll_interval_s, n.enabled, dict(n.options))


def _row(spec: NodeSpec) -> RemoteNode:
    return RemoteNode(name=spec.name, mysql_url=spec.mysql_url, rsync_url=spec.rsync_url,
                      agent_url=spec.agent_url, token_file=spec.token_file,
                      poll_interval_s=spec.poll_interval_s, enabled=spec.enabled,
                      options=dict(spec.options))


def list_nodes(cat: Catalogue) -> list[NodeSpec]:
    return [_spec(n) for n in rows.all_nodes(cat)]


def get_node(cat: Catalogue, name: str) -> NodeSpec:
    found = rows.find_node(cat, name)
    if found is None:
        raise NotFoundError(f"No node named {name!r}.")
    return _spec(found)


def add_node(cat: Catalogue, spec: NodeSpec) -> NodeSpec:
    spec = validate(spec)
    try:
        rows.insert_node(cat, _row(spec))
    except Conflict as e:
        raise UsageError(f"A node named {spec.name!r} exists already.") from e
    return spec


def update_node(cat: Catalogue, old_name: str, spec: NodeSpec) -> NodeSpec:
    spec = validate(spec)
    try:
        found = rows.update_node(cat, old_name, _row(spec))
    except Conflict as e:
        raise UsageError(f"A node named {spec.name!r} exists already.") from e
    if not found:
        raise NotFoundError(f"No node named {old_name!r}.")
    return spec


def remove_node(cat: Catalogue, name: str) -> None:
    if not rows.delete_node(cat, name):
        raise NotFoundError(f"No node named {name!r}.")


def targets_for(spec: NodeSpec) -> list[Target]:
    """The daemons of a node are merged together; its agent is a target of its own."""
    out: list[Target] = []
    interval = float(spec.poll_interval_s)
    daemons = tuple(Endpoint(spec.name, k, u) for k, u in spec.urls().items() if k != "agent")
    if daemons:
        out.append(Target(spec.name, spec.name, daemons, interval,
                          tuple(KINDS[e.kind].slot for e in daemons)))
    if spec.agent_url:
        name = f"{spec.name} (agent)" if daemons else spec.name
        ep = Endpoint(name, "agent", spec.agent_url, spec.token_file)
        out.append(Target(name, spec.name, (ep,), interval, (RSYNC,)))
    return out


def enabled_targets(nodes: list[NodeSpec]) -> list[Target]:
    return [t for n in nodes if n.enabled for t in targets_for(n)]
