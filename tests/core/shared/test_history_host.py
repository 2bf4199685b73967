"""`history` names the host that ran each job, and a process keeps at most two connections to
a shared catalogue (one while idle)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import psycopg
import pytest

from core.catalogue import open_catalogue
from core.catalogue.history import history_page
from tests.core.shared.workstations import plan_run_on_two_hosts
from tests.fixtures.servers import PgServer

pytestmark = pytest.mark.postgres


def test_history_shows_the_host_of_each_job(pg_catalogue_url: str, tmp_path: Path) -> None:
    a, b = plan_run_on_two_hosts(pg_catalogue_url, tmp_path)
    shown = a.run("history", "--json", "--plan", "p")
    assert shown.returncode == 0, shown.stderr
    rows = [r for r in json.loads(shown.stdout) if r["kind"] == "backup"]
    assert [r["host"] for r in rows] == ["wsB", "wsA"]
    table = b.run("history", "--plan", "p").stdout.splitlines()
    assert "HOST" in table[0].split()
    assert table[0].split()[-2:] == ["HOST", "ERROR"]
    # a backup without error ends with its host
    assert sorted(line.split()[-1] for line in table[1:] if " backup " in line) == ["wsA",
                                                                                     "wsB"]


def _connections(pg: PgServer, dbname: str) -> int:
    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, dbname="postgres",
                         autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                           [dbname]).fetchone()
    return int(row[0]) if row else 0


def test_a_process_keeps_one_connection_and_two_at_most(pg_server: PgServer, pg_database: str
                                                        ) -> None:
    cat = open_catalogue(pg_server.url(pg_database))
    try:
        cat.engine.dispose()  # what opening (migrations) held is let go
        history_page(cat)
        assert _connections(pg_server, pg_database) == 1
        peak: list[int] = []
        inside = threading.Barrier(2, timeout=30)

        def read() -> None:
            with cat.db.connect() as c:
                c.scalar("SELECT 1")
                inside.wait()  # the first two hold their connections at once
                peak.append(_connections(pg_server, pg_database))
                inside.wait()

        workers = [threading.Thread(target=read) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
        assert peak and max(peak) == 2
        assert _connections(pg_server, pg_database) == 1
    finally:
        cat.dispose()
