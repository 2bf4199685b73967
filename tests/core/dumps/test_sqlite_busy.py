"""SQLite dumps of a database that another process writes (a real writer committing every
20 ms, in WAL and rollback mode, on a ~30 MB database): they finish, they can be cancelled,
and a database locked for good fails the dump with the reason."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engines.dumps import ops as dumps
from core.engines.dumps import sqlite as sqlite_dump
from core.engines.dumps.urls import parse
from core.errors import CancelledError, EngineError
from core.progress import CancelToken

WRITER = Path(__file__).with_name("sqlite_writer.py")
ROWS = 30_000  # 1 KiB each: about 35 MB


@pytest.fixture
def big_db(tmp_path: Path) -> Path:
    db = tmp_path / "app.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", ((os.urandom(1024),) for _ in range(ROWS)))
    conn.commit()
    conn.close()
    return db


class Writer:
    def __init__(self, db: Path, mode: str, tmp: Path) -> None:
        self.ready, self.stop = tmp / f"ready-{mode}", tmp / f"stop-{mode}"
        self.proc = subprocess.Popen([sys.executable, str(WRITER), str(db), mode,
                                      str(self.ready), str(self.stop)])
        for _ in range(6000):  # bounded wait for its first commit (or lock)
            if self.ready.exists() or self.proc.poll() is not None:
                break
            threading.Event().wait(0.01)
        assert self.ready.exists(), "the writer did not start"

    def commits(self) -> int:
        self.stop.touch()
        self.proc.wait(timeout=60)
        f = Path(str(self.ready) + ".commits")
        return int(f.read_text()) if f.exists() else 0


@pytest.fixture
def writer(big_db: Path, tmp_path: Path) -> Iterator[type[Writer]]:
    made: list[Writer] = []

    def start(mode: str) -> Writer:
        w = Writer(big_db, mode, tmp_path)
        made.append(w)
        return w

    yield start  # type: ignore[misc]
    for w in made:
        w.stop.touch()
        w.proc.wait(timeout=60)


def in_thread(fn: object, *args: object) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn(*args)  # type: ignore[operator]
        except BaseException as e:  # handed to the test
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, errors


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_dump_finishes_under_a_steady_writer(big_db: Path, tmp_path: Path, writer: type[Writer],
                                             mode: str) -> None:
    w = writer(mode)
    out = tmp_path / "copy.sqlite"
    t, errors = in_thread(dumps.dump, parse(f"sqlite://{big_db}"), out, CancelToken())
    t.join(120)  # a guard against the old endless restart, not a speed assertion
    alive = t.is_alive()
    assert w.commits() > 0
    assert not alive, "the dump never finished while the database was written"
    assert not errors
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM t").fetchone()[0] >= ROWS
    copy.close()


def test_dump_of_a_locked_database_is_cancellable(big_db: Path, tmp_path: Path,
                                                  writer: type[Writer]) -> None:
    writer("hold")
    out = tmp_path / "copy.sqlite"
    token = CancelToken()
    t, errors = in_thread(dumps.dump, parse(f"sqlite://{big_db}"), out, token)
    token.cancel()
    t.join(30)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], CancelledError)
    assert not out.exists() and list(tmp_path.glob("copy.sqlite*")) == []


def test_dump_fails_with_the_reason_when_the_lock_never_goes(big_db: Path, tmp_path: Path,
                                                             writer: type[Writer]) -> None:
    writer("hold")
    with pytest.raises(EngineError, match=r"No consistent copy.*locked for writing"):
        sqlite_dump.dump(parse(f"sqlite://{big_db}"), tmp_path / "c.sqlite", CancelToken(),
                         lock_wait=0.5)
