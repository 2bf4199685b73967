"""Plans have a home: two workstations (own hostnames, homes and, for wsB, its own local disk
in a private mount namespace) on one real PostgreSQL catalogue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.catalogue import open_catalogue
from core.catalogue.jobs import newest_job_id, start_job
from core.hosts import this_host
from core.plans import add_plan, get_plan, set_host
from core.scheduling.loop import Due, Scheduler
from tests.core.shared.workstations import Workstation, need_tools

pytestmark = pytest.mark.postgres


@pytest.fixture
def lab(pg_catalogue_url: str, tmp_path: Path) -> dict[str, Any]:
    need_tools("unshare")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello\n")
    local_b = tmp_path / "local-b"  # wsB's own disk: only wsB's processes see local-b-disk
    local_b.mkdir()
    (tmp_path / "local-b-disk").mkdir()
    return {"src": src, "local_b": local_b, "shared": tmp_path / "nfs",
            "a": Workstation("wsA", tmp_path / "homeA", pg_catalogue_url),
            "b": Workstation("wsB", tmp_path / "homeB", pg_catalogue_url, private=local_b),
            "url": pg_catalogue_url}


def _json(proc: Any) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_plan_belongs_to_its_creator_and_runs_elsewhere_only_with_here(lab: dict[str, Any]
                                                                       ) -> None:
    a, b = lab["a"], lab["b"]
    made = _json(a.run("plan", "add", "p", "--engine", "archive", "--source", str(lab["src"]),
                       "--dest", str(lab["local_b"] / "d"), "--json"))
    assert made["host"] == "wsA"
    cat = open_catalogue(lab["url"])
    try:
        before = newest_job_id(cat)
        refused = b.run("run", "p")
        assert refused.returncode == 1
        lines = refused.stderr.strip().splitlines()
        assert lines == ["backupdesk: Plan 'p' runs on wsA, not on wsB: run it there, or add "
                         "--here to back up this host's files with it."]
        assert newest_job_id(cat) == before, "a refused run recorded a job"
        # the refusal took no id: the next job's id follows the last one
        nxt = start_job(cat, engine="archive", kind="verify")
        assert nxt == (before or 0) + 1
    finally:
        cat.dispose()
    moved = _json(a.run("plan", "edit", "p", "--host", "wsB", "--json"))
    assert moved["host"] == "wsB"
    assert b.run("plan", "create-dest", "p").returncode == 0  # on wsB's own disk
    ran = b.run("run", "p")
    assert ran.returncode == 0, ran.stderr
    assert _json(a.run("plan", "edit", "p", "--any-host", "--json"))["host"] is None


def test_copy_on_another_hosts_disk_is_not_marked_missing(lab: dict[str, Any]) -> None:
    a, b = lab["a"], lab["b"]
    dest = lab["local_b"] / "d"
    assert a.run("plan", "add", "p", "--engine", "archive", "--source", str(lab["src"]),
                 "--dest", str(dest)).returncode == 0
    assert b.run("plan", "create-dest", "p").returncode == 0  # on wsB's own disk
    ran = _json(b.run("run", "p", "--here", "--json"))
    assert ran["status"] == "success"
    backup_id = ran["backup_id"]
    assert not [x for x in dest.iterdir() if x.is_dir()], "wsB's disk is visible to wsA"
    checked = a.run("verify", str(backup_id))
    assert checked.returncode == 1
    assert "on wsB's local disk (not a shared destination): verify it on wsB" in checked.stdout
    states = [loc["state"] for bk in _json(a.run("backups", "--json"))
              for loc in bk["locations"]]
    assert states and "missing" not in states
    restored = a.run("restore", str(backup_id), "--to", str(lab["src"].parent / "out"))
    assert restored.returncode == 1
    assert restored.stderr.strip() == (f"backupdesk: Backup {backup_id}'s copies are on wsB's "
                                       "local disk (not a shared destination): restore it on wsB.")


def test_copy_on_a_shared_destination_is_verified_anywhere(lab: dict[str, Any]) -> None:
    a, b = lab["a"], lab["b"]
    made = _json(a.run("plan", "add", "p", "--engine", "archive", "--source", str(lab["src"]),
                       "--shared-dest", str(lab["shared"]), "--json"))
    assert [d["shared"] for d in made["destinations"]] == [True]
    ran = _json(b.run("run", "p", "--here", "--json"))
    checked = a.run("verify", str(ran["backup_id"]))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ": ok" in checked.stdout


def test_scheduler_runs_only_this_hosts_plans(pg_catalogue_url: str, tmp_path: Path) -> None:
    cat = open_catalogue(pg_catalogue_url)
    try:
        for name in ("mine", "theirs", "anyone"):
            add_plan(cat, name, "archive", sources=[str(tmp_path)],
                     destinations=[str(tmp_path.parent / f"{tmp_path.name}-{name}")],
                     schedule="every 15 minutes")
        assert get_plan(cat, "mine").host == this_host()
        set_host(cat, "theirs", "another-workstation")
        set_host(cat, "anyone", None)
        launched: list[Due] = []
        start = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)

        class Clock:
            t = start

            def now(self) -> datetime:
                return self.t

            def sleep(self, seconds: float, wake: Any) -> None:
                pass

        clock = Clock()
        sched = Scheduler(cat, launched.append, clock=clock)
        sched.tick()  # first due times
        clock.t = start + timedelta(minutes=15)
        sched.tick()
        assert sorted(d.plan for d in launched) == ["anyone", "mine"]
    finally:
        cat.dispose()


def test_plan_show_prints_its_host_and_shared_destinations(lab: dict[str, Any]) -> None:
    a, b = lab["a"], lab["b"]
    local, shared = lab["local_b"] / "d", lab["shared"]
    made = a.run("plan", "add", "p", "--engine", "archive", "--source", str(lab["src"]),
                 "--dest", str(local), "--shared-dest", str(shared))
    assert made.returncode == 0, made.stderr
    shown = b.run("plan", "show", "p")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert "host: wsA" in lines
    assert f"destination: {local}" in lines and f"destination: {shared} (shared)" in lines
    data = _json(b.run("plan", "show", "p", "--json"))
    assert data["host"] == "wsA"
    assert {d["location"]: d["shared"] for d in data["destinations"]} == {str(local): False,
                                                                          str(shared): True}
    assert a.run("plan", "edit", "p", "--any-host").returncode == 0
    assert "host: any host" in b.run("plan", "show", "p").stdout.splitlines()
    assert _json(b.run("plan", "show", "p", "--json"))["host"] is None
