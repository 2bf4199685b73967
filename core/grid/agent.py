"""Backup Desk's own read-only agent: this machine's plans in the rsync daemon's format.

`GET /status` with `Authorization: Bearer TOKEN` answers `{devices, disk_usage_summary}`, one
device per plan; `GET /metrics` (same token) the Prometheus text format (core.tell.metrics).
Anything else is refused. It listens on 127.0.0.1 unless told otherwise, served
by uvicorn (core.grid.agent_http).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import uvicorn

from core.catalogue.db import Catalogue
from core.catalogue.models import Job, JobStatus
from core.catalogue.summaries import plan_summaries
from core.errors import BackupDeskError
from core.fmt import human_bytes
from core.grid.agent_http import AgentApp, ServeLimits, protocol_class
from core.tell.metrics import CONTENT_TYPE as METRICS_TYPE
from core.tell.metrics import CatalogueCollector, DeviceSource, exposition
from core.timeutil import to_aware

log = logging.getLogger(__name__)

PROGRESS = {
    JobStatus.SUCCESS.value: "success",
    JobStatus.FAILED.value: "error",
    JobStatus.INTERRUPTED.value: "error",
    JobStatus.PARTIAL.value: "warning",
    JobStatus.CANCELLED.value: "warning",
    JobStatus.RUNNING.value: "info",
    JobStatus.QUEUED.value: "info",
}


def _epoch(dt: Any) -> int | None:
    aware = to_aware(dt)
    return int(aware.timestamp()) if aware is not None else None


def _message(job: Job) -> str:
    if job.error:
        return job.error.splitlines()[0][:300]
    if job.status == JobStatus.SUCCESS.value:
        return f"Backup of {job.plan_name} completed."
    return f"Backup of {job.plan_name} is {job.status}."


def status_document(cat: Catalogue) -> dict[str, Any]:
    """The rsync daemon's `/status` answer for this catalogue's plans."""
    devices: dict[str, Any] = {}
    total_files = total_bytes = 0
    for summary in plan_summaries(cat):
        plan, job = summary.plan, summary.last_job
        nbytes, nfiles = summary.bytes, summary.files
        running = job is not None and not JobStatus(job.status).finished
        total_files += nfiles
        total_bytes += nbytes
        devices[f"plan{plan.id}"] = {
            "name": plan.name,
            "status": "running" if running else "stopped",
            "progress": ({"status": PROGRESS.get(job.status, job.status),
                          "message": _message(job)} if job is not None else {}),
            "synced": {"results": {
                "local_files": nfiles,
                "directory": ", ".join(d.location for d in plan.destinations),
                "disk_usage_bytes": nbytes,
                "disk_usage_human": human_bytes(nbytes),
            }},
            "processing": running,
            "count": summary.successes,
            "started": _epoch(job.started_at) if job else None,
            "ended": _epoch(job.finished_at) if job else None,
            "metadata": {"engine": plan.engine, "enabled": plan.enabled,
                         "host": job.host if job else ""},
        }
    return {"devices": devices, "disk_usage_summary": {"results": {
        "total_files": total_files, "total_size_bytes": total_bytes,
        "total_size_human": human_bytes(total_bytes)}}}


class AgentHTTPServer:
    """uvicorn on a socket bound here, so that a busy port is a clear error before serving."""

    def __init__(self, sock: socket.socket, app: AgentApp, limits: ServeLimits) -> None:
        self.socket = sock
        self.server_port: int = sock.getsockname()[1]
        config = uvicorn.Config(
            app, loop="asyncio", ws="none",
            http=protocol_class(limits), lifespan="off", log_config=None, access_log=False,
            server_header=False, proxy_headers=False, backlog=limits.backlog,
            timeout_keep_alive=limits.keep_alive_s, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._serving = threading.Event()
        self._done = threading.Event()

    def serve_forever(self) -> None:
        """Serve until `shutdown()` (or, on the main thread, SIGINT or SIGTERM)."""
        self._serving.set()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._done.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop serving, and wait for it when it was serving."""
        self._server.should_exit = True
        if self._serving.is_set():
            self._done.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()


def listen_socket(bind: str, port: int, backlog: int) -> socket.socket:
    """A listening socket; BackupDeskError with a sentence when the address cannot be had."""
    try:
        info = socket.getaddrinfo(bind, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(info[4])
            sock.listen(backlog)
        except OSError:
            sock.close()
            raise
    except OSError as e:
        raise BackupDeskError(f"Cannot listen on {bind}:{port}: {e.strerror or e}.") from e
    return sock


def make_server(catalogue: Catalogue, token: str, bind: str = "127.0.0.1", port: int = 8093,
                limits: ServeLimits | None = None, devices: DeviceSource | None = None
                ) -> AgentHTTPServer:
    """The agent; `devices`: the grid's devices for /metrics (None: no grid polled here)."""
    limits = limits or ServeLimits()
    app = AgentApp(token, lambda: status_document(catalogue),
                   exposition(CatalogueCollector(catalogue, devices)), METRICS_TYPE)
    return AgentHTTPServer(listen_socket(bind, port, limits.backlog), app, limits)


def serve_in_thread(server: AgentHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, name="grid-agent", daemon=True)
    t.start()
    return t
