"""Run `backupdesk` (in-process main) as the user `nobody`: forked from this root process,
then setuid, as a second user on the same machine would run it."""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path

import pytest


def _import_everything() -> None:
    import importlib
    import pkgutil

    import core

    for name in ("logging.handlers", "sqlalchemy.dialects.sqlite.pysqlite", "sqlalchemy.orm",
                 "getpass", "platformdirs.unix"):
        importlib.import_module(name)
    for m in pkgutil.walk_packages(core.__path__, "core."):
        if "migrations" not in m.name and m.name not in ("core.__main__",):
            importlib.import_module(m.name)


def main_as_nobody(argv: list[str], reach: Path, env: dict[str, str] | None = None
                   ) -> tuple[int, str]:
    """(exit code, stderr) of `main(argv)` run as nobody; `reach` and the folders above it are
    made traversable meanwhile. Skips the test unless this process is root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another user")
    from core.cli.main import main

    _import_everything()  # nobody may not read this Python's library
    nobody = pwd.getpwnam("nobody")
    opened: list[tuple[Path, int]] = []
    for d in [*reversed(reach.parents), reach]:
        opened.append((d, d.stat().st_mode & 0o7777))
        d.chmod(opened[-1][1] | 0o011)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            sys.stderr = os.fdopen(w, "w")
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.environ.update(env or {})
            rc = main(argv)
            sys.stderr.flush()
            os._exit(rc)
        finally:
            os._exit(99)
    os.close(w)
    with os.fdopen(r) as f:
        err = f.read()
    _, status = os.waitpid(pid, 0)
    for d, mode in reversed(opened):
        d.chmod(mode)
    return os.waitstatus_to_exitcode(status), err
