"""`backupdesk grid`, `backupdesk node add|list|remove` and `backupdesk serve`."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import sys
from typing import TYPE_CHECKING, Any

from core.cli.context import CliContext, print_json, print_table
from core.errors import BackupDeskError, UsageError
from core.grid import nodes
from core.grid.adapters import Endpoint, Target, normalise_url, read_token
from core.grid.describe import STATE_LABELS, when
from core.grid.merge import MYSQL, RSYNC

if TYPE_CHECKING:
    from core.grid.cycle import TargetUpdate
    from core.grid.poller import Limits


def register(sub: Any) -> None:

    g = sub.add_parser("grid", help="poll remote backup daemons once and print their devices")
    g.add_argument("--mysql", metavar="URL", help="MySQL backup daemon, e.g. http://HOST:8090")
    g.add_argument("--rsync", metavar="URL", help="rsync backup daemon, e.g. http://HOST:8093")
    g.add_argument("--agent", metavar="URL", help="a Backup Desk agent (instead of --rsync)")
    g.add_argument("--token-file", metavar="FILE", help="the agent's bearer token")
    g.add_argument("--timeout", type=float, default=10.0, metavar="S",
                   help="give up on a daemon after S seconds (default 10)")
    g.add_argument("--json", action="store_true", help="print the unified JSON")
    g.set_defaults(func=run_grid)

    n = sub.add_parser("node", help="manage the remote nodes shown in the Devices pane")
    nsub = n.add_subparsers(dest="node_command", metavar="ACTION", required=True,
                            parser_class=type(n))
    add = nsub.add_parser("add", help="add a node")
    add.add_argument("name")
    add.add_argument("--mysql", metavar="URL", help="its MySQL backup daemon")
    add.add_argument("--rsync", metavar="URL", help="its rsync backup daemon")
    add.add_argument("--agent", metavar="URL", help="its Backup Desk agent")
    add.add_argument("--token-file", metavar="FILE", help="file holding the agent's token")
    add.add_argument("--interval", type=int, default=60, metavar="S",
                     help="poll every S seconds (default 60)")
    add.add_argument("--disabled", action="store_true", help="add it without polling it")
    add.set_defaults(func=_node_add)
    ls = nsub.add_parser("list", help="list nodes")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_node_list)
    rm = nsub.add_parser("remove", help="remove a node")
    rm.add_argument("name")
    rm.set_defaults(func=_node_remove)

    s = sub.add_parser("serve", help="serve this machine's plans to other Backup Desks "
                                     "(read-only, rsync daemon format)")
    s.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8093, help="port (default 8093)")
    s.add_argument("--token-file", required=True, metavar="FILE",
                   help="file holding the bearer token clients must send")
    s.set_defaults(func=run_serve)


def _grid_target(a: argparse.Namespace) -> Target:
    if a.rsync and a.agent:
        raise UsageError("Give --rsync or --agent, not both.")
    if not (a.mysql or a.rsync or a.agent):
        raise UsageError("Give at least one of --mysql, --rsync or --agent.")
    if a.agent and not a.token_file:
        raise UsageError("--agent needs --token-file.")
    if not 0 < a.timeout <= 600:
        raise UsageError("--timeout must be between 0 and 600 seconds.")
    eps = []
    if a.mysql:
        eps.append(Endpoint("grid", "mysql", normalise_url("mysql", a.mysql)))
    if a.rsync:
        eps.append(Endpoint("grid", "rsync", normalise_url("rsync", a.rsync)))
    if a.agent:
        read_token(a.token_file)
        eps.append(Endpoint("grid", "agent", normalise_url("agent", a.agent), a.token_file))
    return Target("grid", "grid", tuple(eps))


async def poll_once(target: Target, limits: Limits) -> TargetUpdate:
    from core.grid.cycle import poll_targets
    from core.grid.poller import Poller

    final: list[TargetUpdate] = []
    poller = Poller(limits)
    try:
        await poll_targets(poller, [target], final.append)
    finally:
        await poller.aclose()
    return final[-1]


def run_grid(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.grid.poller import Limits

    target = _grid_target(a)
    t = a.timeout
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show a name gets '?'
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    update = asyncio.run(poll_once(target, Limits(connect_s=min(3.0, t), read_s=t, total_s=t)))
    for r in update.results.values():
        if not r.ok:
            print(f"backupdesk: {r.endpoint.label}: {r.error}", file=sys.stderr)
    if a.json:
        print_json(update.merged)
    else:
        _print_devices(update.merged)
    return 0 if not update.down() else 1


def _side(dev: dict[str, Any], slot: str) -> str:
    side = dev[slot]
    if not side["available"]:
        return "-"
    status = side["progress"].get("status") if isinstance(side["progress"], dict) else None
    return str(status) if status is not None else side["status"]


def _print_devices(merged: dict[str, Any]) -> None:
    devices = merged.get("unified_devices") or {}
    if not devices:
        print("No devices.")
        return
    rows = []
    for device_id, d in sorted(devices.items(), key=lambda kv: kv[1]["name"]):
        state = STATE_LABELS.get(d["overall_status"], d["overall_status"])
        if d["processing"]:
            state += " (backing up)"
        ended = max((d[s]["ended"] for s in (MYSQL, RSYNC)
                     if isinstance(d[s]["ended"], int | float)), default=None)
        rows.append([d["name"], device_id, state, _side(d, MYSQL), _side(d, RSYNC), when(ended),
                     d.get("reason", "")])
    print_table(["NAME", "ID", "STATE", "MYSQL", "RSYNC", "LAST END", "PROBLEM"], rows)


def _node_add(ctx: CliContext, a: argparse.Namespace) -> int:
    spec = nodes.add_node(ctx.catalogue, nodes.NodeSpec(
        a.name, a.mysql, a.rsync, a.agent, a.token_file, a.interval, not a.disabled))
    print(f"Node {spec.name!r} added.")
    return 0


def _node_list(ctx: CliContext, a: argparse.Namespace) -> int:
    items = nodes.list_nodes(ctx.catalogue)
    if a.json:
        print_json([n.to_json() for n in items])
        return 0
    if not items:
        print("No nodes. Add one with: backupdesk node add NAME --mysql URL --rsync URL")
        return 0
    print_table(["NAME", "ENABLED", "EVERY", "MYSQL", "RSYNC", "AGENT"],
                [[n.name, "yes" if n.enabled else "no", f"{n.poll_interval_s} s",
                  n.mysql_url or "-", n.rsync_url or "-", n.agent_url or "-"] for n in items])
    return 0


def _node_remove(ctx: CliContext, a: argparse.Namespace) -> int:
    nodes.remove_node(ctx.catalogue, a.name)
    print(f"Node {a.name!r} removed.")
    return 0


def run_serve(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.grid.agent import make_server
    from core.grid.agent_http import ServeLimits
    from core.grid_watch import GridWatch
    from core.tell.metrics import grid_devices

    if not 0 <= a.port < 65536:
        raise UsageError("--port must be between 0 (any free port) and 65535.")
    try:
        token = read_token(a.token_file)
    except BackupDeskError as e:
        raise UsageError(f"{e} Create one with: head -c 32 /dev/urandom | base64 > "
                         f"{a.token_file}; chmod 600 {a.token_file}") from e
    _warn_exposure(a.bind, a.token_file)
    limits = ServeLimits(max_connections=_open_files_allowed(ServeLimits().max_connections))
    grid = GridWatch(ctx.catalogue, None)  # the grid's devices for /metrics, no alerts
    server = make_server(ctx.catalogue, token, a.bind, a.port, limits,
                         devices=lambda: grid_devices(grid))
    print(f"Serving this machine's plans on http://{a.bind}:{server.server_port}/status "
          "and /metrics (Ctrl+C stops).",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        grid.stop()
        server.server_close()
    return 0


def _open_files_allowed(wanted: int) -> int:
    """Raise the soft limit on open files towards `wanted` connections (plus room for the
    catalogue and logs); the connections that fit."""
    room = 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted + room if hard == resource.RLIM_INFINITY else min(hard, wanted + room)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else max(1, min(wanted, soft - room))


def _warn_exposure(bind: str, token_file: str) -> None:
    if bind not in ("127.0.0.1", "::1", "localhost"):
        print(f"backupdesk: note: listening on {bind} over plain HTTP; the token crosses the "
              "network in clear text, so keep it to a trusted network or a tunnel.",
              file=sys.stderr)
    try:
        mode = os.stat(os.path.expanduser(token_file)).st_mode
    except OSError:
        return
    if mode & 0o077:
        print(f"backupdesk: note: {token_file} is readable by other users; "
              f"chmod 600 {token_file}", file=sys.stderr)
