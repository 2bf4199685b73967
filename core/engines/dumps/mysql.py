"""MySQL/MariaDB: mariadb-dump (or mysqldump) --single-transaction; the client to load.

Connection settings and the password travel in a 0600 option file given first in argv.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from core.engines.dumps import tools
from core.engines.dumps.urls import DbUrl
from core.errors import EngineError
from core.progress import CancelToken

DUMP_TOOLS = ("mariadb-dump", "mysqldump")
CLIENT_TOOLS = ("mariadb", "mysql")


def _quote(v: str) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def option_file(db: DbUrl) -> str:
    lines = ["[client]", f"host={_quote(db.host)}", f"port={db.effective_port}",
             "protocol=TCP"]
    if db.user:
        lines.append(f"user={_quote(db.user)}")
    if db.password is not None:
        lines.append(f"password={_quote(db.password)}")
    return "\n".join(lines) + "\n"


def dump_argv(tool: str, cnf: Path, out: Path, database: str) -> list[str]:
    return [tool, f"--defaults-extra-file={cnf}", "--single-transaction", "--routines",
            "--events", "--triggers", "--hex-blob", "--default-character-set=utf8mb4",
            f"--result-file={out}", database]


def load_argv(tool: str, cnf: Path, database: str) -> list[str]:
    return [tool, f"--defaults-extra-file={cnf}", "--default-character-set=utf8mb4",
            "--batch", database]


def _run(argv_of: Callable[[Path], list[str]], db: DbUrl, cancel: CancelToken, action: str,
         stdin: Path | None = None) -> None:
    with tools.secret_file(option_file(db)) as cnf:
        code, err = tools.run(argv_of(cnf), cancel=cancel, stdin_path=stdin)
    if code != 0:
        msg = tools.explain(err, db.label, db.host, db.effective_port)
        raise EngineError(msg.replace("Dumping", action, 1))


def dump(db: DbUrl, out: Path, cancel: CancelToken) -> None:
    tool = tools.find_tool(*DUMP_TOOLS)
    _run(lambda cnf: dump_argv(tool, cnf, out, db.database), db, cancel, "Dumping")


def check(db: DbUrl, cancel: CancelToken) -> None:
    tool = tools.find_tool(*DUMP_TOOLS)
    _run(lambda cnf: [*dump_argv(tool, cnf, Path(os.devnull), db.database)[:-1], "--no-data",
                      db.database], db, cancel, "Connecting to")


def load(db: DbUrl, dump_file: Path, cancel: CancelToken) -> None:
    tool = tools.find_tool(*CLIENT_TOOLS)
    _run(lambda cnf: load_argv(tool, cnf, db.database), db, cancel, "Loading into",
         stdin=dump_file)
