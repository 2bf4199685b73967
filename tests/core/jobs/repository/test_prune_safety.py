"""Prune and delete touch only the archives Backup Desk made for the plan (real borg, outside
archives made by `borg create` as a cron script would)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.config import AppPaths
from core.engines.borg import engine, ops
from core.jobs import repository, repository_plan
from tests.core.borg.conftest import borg_env, needs_borg, outside_create
from tests.core.jobs.repository.test_flows import add_plan, backups

pytestmark = [pytest.mark.borg, needs_borg]

OUTSIDE = ["vm-2026-09-01T03:00:00", "vm-2026-09-02T03:00:00", "lab-pc-2026-09-01T03:00:00",
           "vm.foo", "vm-2026-01-01T00.00.00.000", "lab-2026-01-01T00.00.00.000"]


def names(repo: Path) -> list[str]:
    out = subprocess.run(["borg", "list", "--json", str(repo)], env=borg_env(), check=True,
                         capture_output=True, text=True).stdout
    return [a["name"] for a in json.loads(out)["archives"]]


def two_plans(home: Path, repo: Path, src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert add_plan(home, repo, src, monkeypatch, "--init", "--keep-last", "1", name="vm") == 0
    assert add_plan(home, repo, src, monkeypatch, "--keep-last", "1", name="lab") == 0


def test_outside_archives_survive_every_prune(home: Path, catalogue: Any, tmp_path: Path,
                                              source_tree: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    two_plans(home, repo, source_tree, monkeypatch)
    for n in OUTSIDE:
        outside_create(str(repo), n, source_tree)
    paths = AppPaths.resolve(str(home))
    for i in range(3):
        (source_tree / "new.txt").write_text(str(i))
        for plan in ("vm", "lab"):
            assert main(["--home", str(home), "run", plan]) == 0
            assert not set(repository.prune(catalogue, paths, plan, dry_run=True)) & set(OUTSIDE)
    left = names(repo)
    assert set(OUTSIDE) <= set(left)
    assert len([n for n in left if n not in OUTSIDE]) == 2  # keep-last 1 for each plan
    for plan in ("vm", "lab"):
        assert main(["--home", str(home), "prune", plan]) == 0
    assert set(OUTSIDE) <= set(names(repo))


def test_prune_refuses_an_archive_the_plan_did_not_make(home: Path, catalogue: Any,
                                                        tmp_path: Path, source_tree: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    repo = tmp_path / "repo"
    two_plans(home, repo, source_tree, monkeypatch)
    assert main(["--home", str(home), "run", "vm"]) == 0
    assert main(["--home", str(home), "run", "vm"]) == 0
    outside_create(str(repo), "vm~bd1~by-hand", source_tree)  # carries the plan's tag
    before = names(repo)
    capsys.readouterr()
    assert main(["--home", str(home), "prune", "vm"]) != 0
    err = capsys.readouterr().err
    assert "Prune refused" in err and "vm~bd1~by-hand" in err
    assert names(repo) == before  # nothing deleted


def test_old_style_archives_are_the_plans_by_their_record(home: Path, catalogue: Any,
                                                          tmp_path: Path, source_tree: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Archives named `vm-<time>` by an older version are pruned as the plan's; outside ones
    with the same shape of name are not."""
    repo = tmp_path / "repo"
    two_plans(home, repo, source_tree, monkeypatch)
    old = engine.archive_name
    monkeypatch.setattr(engine, "archive_name",
                        lambda name, _id, now: old(name, _id, now).replace(f"~bd{_id}~", "-"))
    real_prune = repository_plan._prune_step
    # as before the upgrade
    monkeypatch.setattr(repository_plan, "_prune_step", lambda *a, **kw: [])
    for i in range(2):
        (source_tree / "new.txt").write_text(str(i))
        assert main(["--home", str(home), "run", "vm"]) == 0
    old_names = [n for n in names(repo) if n.startswith("vm-")]
    assert len(old_names) == 2
    for n in OUTSIDE:
        outside_create(str(repo), n, source_tree)
    monkeypatch.setattr(engine, "archive_name", old)
    monkeypatch.setattr(repository_plan, "_prune_step", real_prune)
    assert main(["--home", str(home), "run", "vm"]) == 0
    left = names(repo)
    assert set(OUTSIDE) <= set(left) and not set(old_names) & set(left)
    live = [b for b in backups(catalogue) if b.plan_name == "vm"
            and b.locations[0].state != "deleted" and b.details.get("made_by")]
    assert [b.name for b in live] == [n for n in left if "~bd" in n]


def test_outside_archive_made_between_create_and_prune_is_recorded(
        home: Path, catalogue: Any, tmp_path: Path, source_tree: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    two_plans(home, repo, source_tree, monkeypatch)
    assert main(["--home", str(home), "run", "vm"]) == 0
    assert main(["--home", str(home), "run", "vm"]) == 0  # the repository is now "unchanged"
    real = ops.prune

    def prune_after_cron(*a: Any, **kw: Any) -> ops.OpResult:
        if not any(b.name == "cron-between" for b in backups(catalogue)):
            outside_create(str(repo), "cron-between", source_tree)
        return real(*a, **kw)

    monkeypatch.setattr(ops, "prune", prune_after_cron)
    assert main(["--home", str(home), "run", "vm"]) == 0
    assert "cron-between" in names(repo)
    assert any(b.name == "cron-between" for b in backups(catalogue))


def test_delete_refuses_an_archive_that_took_a_recorded_name(home: Path, catalogue: Any,
                                                             tmp_path: Path, source_tree: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from core.errors import ConfigError
    from core.jobs.repository import delete_backup as delete_archive

    repo = tmp_path / "repo"
    two_plans(home, repo, source_tree, monkeypatch)
    assert main(["--home", str(home), "run", "vm"]) == 0
    b = backups(catalogue)[0]
    subprocess.run(["borg", "delete", f"{repo}::{b.name}"], env=borg_env(), check=True,
                   capture_output=True)
    outside_create(str(repo), b.name, source_tree)  # a script reuses the name
    with pytest.raises(ConfigError, match="not the one backup"):
        delete_archive(catalogue, b.id, app_paths=AppPaths.resolve(str(home)))
    assert b.name in names(repo)
