"""One clock: `status` judges late by the catalogue server's clock, not the asking host's. A
client under libfaketime (3 hours ahead, then 3 hours behind) gives the same answer as one with
the right time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.core.shared.workstations import Workstation, need_tools

pytestmark = pytest.mark.postgres


def _state(ws: Workstation) -> tuple[int, str]:
    done = ws.run("status", "--json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)[0]["state"]


def test_status_is_judged_by_the_servers_clock(pg_catalogue_url: str, tmp_path: Path) -> None:
    need_tools("unshare", "faketime")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello\n")
    right = Workstation("wsA", tmp_path / "homeA", pg_catalogue_url)
    ahead = Workstation("wsB", tmp_path / "homeB", pg_catalogue_url, clock="+3h")
    behind = Workstation("wsC", tmp_path / "homeC", pg_catalogue_url, clock="-3h")
    made = right.run("plan", "add", "p", "--engine", "archive", "--source", str(src),
                     "--dest", str(tmp_path / "dest"), "--expect", "hourly", "--grace", "10m")
    assert made.returncode == 0, made.stderr
    ran = right.run("run", "p", "--here")
    assert ran.returncode == 0, ran.stderr
    assert _state(right) == (0, "ok")
    assert _state(ahead) == (0, "ok")  # by its own clock the backup is 3 hours old

    # The plan and its backup three hours in the past (by the server's clock).
    engine = create_engine(pg_catalogue_url)
    back = timedelta(hours=3)
    with engine.begin() as c:
        c.execute(text("UPDATE plans SET created_at = created_at - :d"), {"d": back})
        c.execute(text("UPDATE jobs SET created_at = created_at - :d, started_at = started_at"
                       " - :d, finished_at = finished_at - :d, heartbeat_at = heartbeat_at - :d"),
                  {"d": back})
    engine.dispose()
    code, state = _state(right)
    assert code == 1 and state in ("late", "missing")
    assert _state(behind) == (code, state)  # by its own clock the backup just ended
