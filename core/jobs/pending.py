"""Job outcomes kept on this machine while the catalogue is unreachable.

A job whose catalogue went away keeps how it ended in STATE/pending-jobs/JOB.json (0600) and
is recorded when the catalogue answers again: by the next command that opens it, or the next
pass of a running scheduler. Its outcome is never lost, and the job is never left "running".
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core.catalogue.db import Catalogue
from core.catalogue.dbapi import unreachable
from core.catalogue.jobs import record_late_finish
from core.config import AppPaths
from core.statefile import read_json, write_atomic
from core.timeutil import iso, to_naive_utc, utcnow

log = logging.getLogger(__name__)

FOLDER = "pending-jobs"


@dataclass
class Pending:
    """A job's end that could not be recorded yet, kept to record later."""
    catalogue: str  # the catalogue's URL, password hidden
    job_id: int
    status: str
    error: str | None = None
    bytes: int | None = None
    files: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    ended_at: str = ""  # ISO, this host's clock: the server could not be asked


def _folder(paths: AppPaths | None) -> Path:
    return (paths or AppPaths.resolve()).state_dir / FOLDER


def keep(cat: Catalogue, p: Pending, paths: AppPaths | None = None) -> Path:
    p.catalogue, p.ended_at = cat.url, p.ended_at or iso(utcnow()) or ""
    path = _folder(paths) / f"{p.job_id}.json"
    write_atomic(path, json.dumps(asdict(p)))
    return path


def record(cat: Catalogue, paths: AppPaths | None = None) -> list[int]:
    """Record the outcomes kept for this catalogue; the ids recorded. One that still cannot be
    recorded (catalogue unreachable) stays for the next try."""
    folder = _folder(paths)
    if not folder.is_dir():
        return []
    done: list[int] = []
    for path in sorted(folder.glob("*.json")):
        data = read_json(path)
        if data.get("catalogue") != cat.url:
            continue
        try:
            p = Pending(**data)
            record_late_finish(cat, p.job_id, p.status, error=p.error, bytes=p.bytes,
                               files=p.files, details=p.details, log=p.log,
                               ended_at=to_naive_utc(datetime.fromisoformat(p.ended_at)))
        except Exception as e:
            if unreachable(e) is not None:
                return done
            log.exception("could not record the kept outcome %s", path)
            continue
        path.unlink(missing_ok=True)
        done.append(p.job_id)
    return done
