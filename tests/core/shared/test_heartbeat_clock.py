"""The heartbeat on PostgreSQL stamps the job with the server's clock inside its UPDATE: a
client whose clock is hours off still writes the server's time, in one statement per beat."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from core.catalogue import Catalogue, open_catalogue
from core.catalogue.dbapi import Conn
from core.catalogue.jobs import heartbeat, start_job
from tests.core.shared.workstations import REPO, need_tools

pytestmark = pytest.mark.postgres

BEAT = """
import sys
from core.catalogue import open_catalogue
from core.catalogue.jobs import heartbeat
cat = open_catalogue(sys.argv[1])
heartbeat(cat, int(sys.argv[2]), bytes=1234, phase="writing")
cat.dispose()
"""


@pytest.fixture
def pg_catalogue(pg_catalogue_url: str) -> Iterator[Catalogue]:
    cat = open_catalogue(pg_catalogue_url)
    yield cat
    cat.dispose()


def _server_now_and_row(cat: Catalogue, job_id: int) -> tuple[object, ...]:
    with cat.db.connect() as c:
        row = c.first("SELECT now() AT TIME ZONE 'UTC', heartbeat_at, progress_at, bytes"
                      " FROM jobs WHERE id = ?", [job_id])
    assert row is not None
    return row


def test_heartbeat_of_a_client_hours_ahead_carries_the_servers_time(
        pg_catalogue: Catalogue, pg_catalogue_url: str) -> None:
    need_tools("faketime")
    job_id = start_job(pg_catalogue, engine="archive", kind="backup", plan_name="p")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(["faketime", "-f", "+6h", sys.executable, "-c", BEAT,
                           pg_catalogue_url, str(job_id)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    server_now, beat_at, progress_at, written = _server_now_and_row(pg_catalogue, job_id)
    assert written == 1234
    for stamp in (beat_at, progress_at):
        assert isinstance(stamp, type(server_now))
        assert abs(server_now - stamp) < timedelta(minutes=30), (server_now, stamp)  # type: ignore[operator]


def test_a_heartbeat_is_one_statement_on_postgresql(pg_catalogue: Catalogue,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = start_job(pg_catalogue, engine="archive", kind="backup", plan_name="p")
    sent: list[str] = []
    real = Conn._cursor

    def counted(self: Conn, sql: str, params: object) -> object:
        sent.append(sql)
        return real(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Conn, "_cursor", counted)
    heartbeat(pg_catalogue, job_id, bytes=10, files=1)
    monkeypatch.undo()
    assert [s.split()[0] for s in sent] == ["UPDATE"], sent
    _, beat_at, progress_at, written = _server_now_and_row(pg_catalogue, job_id)
    assert written == 10 and beat_at is not None and progress_at == beat_at
