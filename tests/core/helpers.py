"""Building catalogue content for tests through the public core API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from core.catalogue.db import Catalogue
from core.catalogue.jobs import finish_job, start_job
from core.catalogue.models import Job


def add_job(cat: Catalogue, *, plan: str = "p", plan_id: int | None = None, engine: str = "archive",
            kind: str = "backup", trigger: str = "manual", status: str = "success",
            started: datetime | None = None, duration_ms: int | None = 1000,
            bytes: int | None = None, error: str | None = None, requested_by: str = "ann",
            **extra: Any) -> int:
    jid = start_job(cat, engine=engine, kind=kind, trigger=trigger, plan_id=plan_id,
                    plan_name=plan, requested_by=requested_by)
    if status != "running":
        finish_job(cat, jid, status, error=error, bytes=bytes)
    values: dict[str, Any] = dict(extra)
    if started is not None:
        values["started_at"] = started
        values["created_at"] = started
        if status != "running" and duration_ms is not None:
            from datetime import timedelta

            values["finished_at"] = started + timedelta(milliseconds=duration_ms)
    if status != "running":
        values["duration_ms"] = duration_ms
    if values:
        with cat.session() as s:
            s.execute(update(Job).where(Job.id == jid).values(**values))
    return jid
