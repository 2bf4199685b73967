"""Jobs of a repository engine through the one lifecycle (real borg): a long prune, check or
restore shows it is alive, so another host's recovery never declares it interrupted."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.catalogue.dbapi import to_datetime
from core.cli.main import main
from core.config import AppPaths
from core.jobs import repository
from tests.core.borg.conftest import needs_borg
from tests.core.jobs.repository.test_flows import add_plan

pytestmark = [pytest.mark.borg, needs_borg]

SLOW = 3  # seconds the wrapper waits before the slow borg command: a few heartbeats


def _slow_borg(tmp_path: Path, command: str) -> Path:
    """borg itself, but `command` starts SLOW seconds late (a big repository's prune)."""
    f = tmp_path / "slow-borg"
    f.write_text(f'#!/bin/sh\n[ "$1" = {command} ] && sleep {SLOW}\nexec borg "$@"\n')
    f.chmod(f.stat().st_mode | stat.S_IXUSR)
    return f


def _rows(cat: Any, kind: str) -> list[tuple[str, datetime | None, datetime | None]]:
    with cat.db.connect() as c:
        return [(r[0], to_datetime(r[1]), to_datetime(r[2])) for r in c.rows(
            "SELECT status, started_at, heartbeat_at FROM jobs WHERE kind = ? ORDER BY id",
            [kind])]


def _watch(cat: Any, kind: str, work: Callable[[], object]) -> list[datetime]:
    """Run `work` in a thread; the heartbeats its running job got after it started."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:
            failed.append(e)

    t = threading.Thread(target=run)
    t.start()
    beats: list[datetime] = []
    deadline = time.monotonic() + 120
    while t.is_alive() and time.monotonic() < deadline:
        for status, started, beat in _rows(cat, kind):
            if status == "running" and started and beat and beat > started:
                beats.append(beat)
        time.sleep(0.2)
    t.join()
    assert not failed, failed
    assert [r[0] for r in _rows(cat, kind)] == ["success"]
    return beats


@pytest.mark.parametrize("kind,command", [("prune", "prune"), ("verify", "check"),
                                          ("restore", "extract")])
def test_a_long_repository_job_beats(kind: str, command: str, home: Path, catalogue: Any,
                                     tmp_path: Path, source_tree: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert add_plan(home, tmp_path / "repo", source_tree, monkeypatch, "--init",
                    "--keep-last", "1", "--no-prune") == 0
    for i in range(2):
        (source_tree / "new.txt").write_text(str(i))
        assert main(["--home", str(home), "run", "docs"]) == 0
    monkeypatch.setenv("BACKUPDESK_BORG", str(_slow_borg(tmp_path, command)))
    paths = AppPaths.resolve(str(home))
    with catalogue.db.connect() as c:
        backup_id = c.scalar("SELECT max(id) FROM backups")
    jobs: dict[str, Callable[[], object]] = {
        "prune": lambda: repository.prune(catalogue, paths, "docs"),
        "verify": lambda: repository.check(catalogue, paths, "docs"),
        "restore": lambda: repository.restore_backup(catalogue, backup_id,
                                                     tmp_path / "restored", app_paths=paths),
    }
    beats = _watch(catalogue, kind, jobs[kind])
    assert beats, f"the running {kind} job was never marked alive"
    if kind == "restore":
        assert os.listdir(tmp_path / "restored")


def test_the_apps_refresh_of_an_unchanged_repository_asks_no_secret(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At start-up the window refreshes every borg plan: one whose repository is where our last
    job left it starts nothing, and never wakes the keyring for its passphrase."""
    from core.secrets import SecretStore

    assert add_plan(home, tmp_path / "repo", source_tree, monkeypatch, "--init") == 0
    assert main(["--home", str(home), "run", "docs"]) == 0
    before = len(_rows(catalogue, "refresh"))

    def no_keyring(*_: object) -> None:
        raise AssertionError("the secret store was asked")

    monkeypatch.setattr(SecretStore, "get", no_keyring)
    rep = repository.refresh(catalogue, AppPaths.resolve(str(home)), "docs", trigger="app")
    assert (rep.archives, rep.new_backups, rep.gone) == (0, [], [])
    assert len(_rows(catalogue, "refresh")) == before
