"""Building catalogue content for tests through the public core API."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.catalogue.db import Catalogue
from core.catalogue.jobs import finish_job, start_job
from core.catalogue.schema import Job


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
        with orm_session(cat) as s:
            s.execute(update(Job).where(Job.id == jid).values(**values))
    return jid


def random_backup(cat: Catalogue, home: Path, src: Path, plan: str, files: int,
                  size: int) -> int:
    """A real archive backup of `files` files of `size` random (incompressible) bytes, made in
    `src`, to a destination beside it; returns its id."""
    from core.config import AppPaths
    from core.jobs.run import run_plan
    from core.plans import add_plan

    src.mkdir()
    for i in range(files):
        (src / f"f{i}.bin").write_bytes(os.urandom(size))
    add_plan(cat, plan, "archive", sources=[str(src)], destinations=[str(src.parent / "dest")],
             options={"verify_after": False})
    out = run_plan(cat, AppPaths.resolve(str(home)), plan)
    assert out.status == "success" and out.backup_id
    return out.backup_id


def on_a_terminal(argv: list[str], timeout: float = 120) -> tuple[int, str]:
    """Run `argv` with a real pty as its stdin, stdout and stderr; its exit code and all it
    wrote."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"}
    proc = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(main)
    return proc.wait(timeout=30), seen.decode("utf-8", "replace")


@contextmanager
def orm_session(cat: Any) -> Iterator[Session]:
    """An ORM session over core.catalogue.schema's classes, committed on success: for tests
    that arrange or inspect rows (the application itself has no ORM)."""
    with Session(cat.engine, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
