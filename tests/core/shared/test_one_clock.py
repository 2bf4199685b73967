"""One clock: a workstation whose clock is 6 minutes ahead judges another host's live job by
the database server's clock, so it neither marks it interrupted nor cleans its staging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.shared.workstations import Workstation, need_tools, stop

pytestmark = pytest.mark.postgres


def test_clock_ahead_leaves_another_hosts_live_job_alone(pg_catalogue_url: str,
                                                         tmp_path: Path) -> None:
    need_tools("unshare", "faketime")
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    (src / "a.txt").write_text("hello\n")
    ws_a = Workstation("wsA", tmp_path / "homeA", pg_catalogue_url)
    ws_b = Workstation("wsB", tmp_path / "homeB", pg_catalogue_url, clock="+6m")
    made = ws_a.run("plan", "add", "p", "--engine", "archive", "--source", str(src),
                    "--dest", str(dest))
    assert made.returncode == 0, made.stderr
    live = ws_a.paused_run("p", tmp_path / "paused")
    try:
        staging = [d for d in (dest / "p").iterdir() if d.name.startswith(".staging-")]
        assert staging, "the live run wrote no staging folder"
        second = ws_b.run("run", "p", "--here")
        assert second.returncode != 0
        assert "already running" in second.stderr and "on wsA" in second.stderr
        assert all(d.exists() for d in staging), "wsB deleted wsA's live staging folder"
        hist = ws_b.run("history", "--json", "--limit", "5")
        assert hist.returncode == 0, hist.stderr
        rows = json.loads(hist.stdout)
        assert [r["status"] for r in rows] == ["running"]
    finally:
        stop(live)
