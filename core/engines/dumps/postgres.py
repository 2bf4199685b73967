"""PostgreSQL: pg_dump custom format; pg_restore into an existing database.

Connection settings and the password travel in PG* environment variables; argv holds none.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.engines.dumps import tools
from core.engines.dumps.urls import DbUrl
from core.errors import EngineError
from core.progress import CancelToken


def env_for(db: DbUrl) -> dict[str, str]:
    env = {"PGHOST": db.host, "PGPORT": str(db.effective_port), "PGDATABASE": db.database,
           "PGCONNECT_TIMEOUT": "10"}
    if db.user:
        env["PGUSER"] = db.user
    if db.password is not None:
        env["PGPASSWORD"] = db.password
    return env


def dump_argv(tool: str, out: Path) -> list[str]:
    return [tool, "--format=custom", "--no-password", f"--file={out}"]


def restore_argv(tool: str, dump_file: Path) -> list[str]:
    # An empty --dbname makes pg_restore connect (to PGDATABASE) instead of printing SQL.
    return [tool, "--no-password", "--no-owner", "--exit-on-error", "--single-transaction",
            "--dbname=", str(dump_file)]


def _fail(code: int, err: str, db: DbUrl, action: str) -> EngineError:
    msg = tools.explain(err, db.label, db.host, db.effective_port)
    if msg.startswith("Dumping") and action != "Dumping":
        msg = msg.replace("Dumping", action, 1)
    return EngineError(msg)


def dump(db: DbUrl, out: Path, cancel: CancelToken) -> None:
    tool = tools.find_tool("pg_dump")
    code, err = tools.run(dump_argv(tool, out), env=env_for(db), cancel=cancel)
    if code != 0:
        raise _fail(code, err, db, "Dumping")


def check(db: DbUrl, cancel: CancelToken) -> None:
    tool = tools.find_tool("pg_dump")
    code, err = tools.run([tool, "--schema-only", "--no-password", f"--file={os.devnull}"],
                          env=env_for(db), cancel=cancel)
    if code != 0:
        raise _fail(code, err, db, "Connecting to")


def load(db: DbUrl, dump_file: Path, cancel: CancelToken) -> None:
    tool = tools.find_tool("pg_restore")
    code, err = tools.run(restore_argv(tool, dump_file), env=env_for(db), cancel=cancel)
    if code != 0:
        raise _fail(code, err, db, "Loading into")
