"""Backup Desk's own read-only agent: this machine's plans in the rsync daemon's format.

`GET /status` with `Authorization: Bearer TOKEN` answers `{devices, disk_usage_summary}`, one
device per plan. Anything else is refused. It listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select

from core.catalogue.db import Catalogue
from core.catalogue.models import Backup, Job, JobKind, JobStatus, Plan
from core.errors import BackupDeskError
from core.fmt import human_bytes
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
    backup = JobKind.BACKUP.value
    with cat.session() as s:
        for plan in s.scalars(select(Plan).order_by(Plan.name)):
            job = s.scalars(select(Job).where(Job.plan_id == plan.id, Job.kind == backup)
                            .order_by(Job.started_at.desc(), Job.id.desc()).limit(1)).first()
            count = s.scalar(select(func.count()).select_from(Job).where(
                Job.plan_id == plan.id, Job.kind == backup,
                Job.status == JobStatus.SUCCESS.value)) or 0
            sums = s.execute(select(func.coalesce(func.sum(Backup.size), 0),
                                    func.coalesce(func.sum(Backup.files), 0))
                             .where(Backup.plan_id == plan.id)).one()
            nbytes, nfiles = int(sums[0] or 0), int(sums[1] or 0)
            running = job is not None and not JobStatus(job.status).finished
            total_files += int(nfiles)
            total_bytes += int(nbytes)
            devices[f"plan{plan.id}"] = {
                "name": plan.name,
                "status": "running" if running else "stopped",
                "progress": ({"status": PROGRESS.get(job.status, job.status),
                              "message": _message(job)} if job is not None else {}),
                "synced": {"results": {
                    "local_files": int(nfiles),
                    "directory": ", ".join(d.location for d in plan.destinations),
                    "disk_usage_bytes": int(nbytes),
                    "disk_usage_human": human_bytes(int(nbytes)),
                }},
                "processing": running,
                "count": int(count),
                "started": _epoch(job.started_at) if job else None,
                "ended": _epoch(job.finished_at) if job else None,
                "metadata": {"engine": plan.engine, "enabled": plan.enabled,
                             "host": job.host if job else ""},
            }
    return {"devices": devices, "disk_usage_summary": {"results": {
        "total_files": total_files, "total_size_bytes": total_bytes,
        "total_size_human": human_bytes(total_bytes)}}}


class _Handler(BaseHTTPRequestHandler):
    server: AgentHTTPServer
    server_version = "BackupDeskAgent"
    sys_version = ""

    def _send(self, code: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.server.token.encode())

    def do_GET(self) -> None:
        if not self._authorised():
            self._send(401, {"error": "A valid bearer token is required."},
                       {"WWW-Authenticate": 'Bearer realm="backupdesk"'})
            return
        if self.path.split("?")[0] not in ("/status", "/"):
            self._send(404, {"error": f"No such resource: {self.path[:100]}"})
            return
        try:
            self._send(200, status_document(self.server.catalogue))
        except Exception as e:
            log.exception("agent status failed")
            self._send(500, {"error": f"The agent cannot read its catalogue: {e}",
                             "service": "rsync_backup"})

    def _refuse(self) -> None:
        self._send(405, {"error": "The agent is read-only."}, {"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("agent %s: " + format, self.address_string(), *args)


class AgentHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], catalogue: Catalogue, token: str) -> None:
        self.catalogue = catalogue
        self.token = token
        super().__init__(address, _Handler)


def make_server(catalogue: Catalogue, token: str, bind: str = "127.0.0.1",
                port: int = 8093) -> AgentHTTPServer:
    try:
        return AgentHTTPServer((bind, port), catalogue, token)
    except OSError as e:
        raise BackupDeskError(f"Cannot listen on {bind}:{port}: {e.strerror or e}.") from e


def serve_in_thread(server: AgentHTTPServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, name="grid-agent", daemon=True)
    t.start()
    return t
