"""The borg engine object used directly, as core.engines.api's contract says: plain values in,
typed results out, no catalogue and no job layer (real borg, a repository under tmp_path)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.engines.api import ARCHIVE_MISSING, DAMAGED, Repository, RepoTarget
from core.engines.borg.engine import ENGINE
from core.engines.borg.tree import ArchiveTree
from core.errors import BackupDeskError
from core.progress import CancelToken, Progress
from tests.core.borg.conftest import PASSPHRASE, needs_borg, outside_create

pytestmark = [pytest.mark.borg, needs_borg]


def _open(tmp_path: Path, **opts: object) -> Repository:
    target = RepoTarget(7, "docs", {"repository": str(tmp_path / "repo"), **opts},
                        secret=PASSPHRASE, home=tmp_path / "bd-home",
                        state_dir=tmp_path / "state")
    return ENGINE.open(target)


def test_engine_drives_a_repository_without_the_app(tmp_path: Path, source_tree: Path) -> None:
    cancel = CancelToken()
    repo = _open(tmp_path, keep={"last": 1})
    assert ENGINE.secret_name(7) != ENGINE.secret_name(8)
    repo.ready()
    repo.init(cancel)
    assert repo.info(cancel).encryption == "repokey"
    seen: list[Progress] = []
    first = repo.create([str(source_tree)], ["*.tmp"], datetime(2026, 1, 2, 3, 4, 5),
                        seen.append, cancel)
    assert first.stats.files == 3 and first.stats.original_size > 4096
    repo.remember()
    assert repo.unchanged()
    outside_create(repo.location, "cron-1", source_tree)  # someone else writes
    assert not repo.unchanged()
    second = repo.create([str(source_tree)], [], datetime(2026, 1, 3, 3, 4, 5),
                         lambda p: None, cancel)
    names = {a.name for a in repo.list_archives(cancel)}
    assert names == {first.stats.name, second.stats.name, "cron-1"}
    # The plan's keep rules cover only its own archives: never the cron script's.
    pruned = repo.prune(dry_run=True, cancel=cancel)
    assert [a.name for a in pruned.pruned] == [first.stats.name]
    assert [a.name for a in pruned.kept] == [second.stats.name]
    assert {a.name for a in repo.list_archives(cancel)} == names  # a dry run changes nothing
    # An archive named before the plan's tag gets the plan's naming.
    assert repo.plan_name("docs-2025-01-01") != "docs-2025-01-01"
    assert repo.plan_name(first.stats.name) == first.stats.name
    repo.check(lambda p: None, cancel, archive=second.stats.name)
    out = tmp_path / "out"
    repo.extract(second.stats.name, out, [], lambda p: None, cancel)
    assert (out / str(source_tree).strip("/") / "docs" / "a.txt").read_text() == "alpha\n"
    tree = repo.browse(second.stats.name, ArchiveTree(), lambda p: None, cancel)
    assert tree.finished and tree.entries >= 5
    repo.delete([first.stats.name], cancel)
    with pytest.raises(BackupDeskError) as e:
        repo.archive_info(first.stats.name, cancel)
    assert e.value.kind == ARCHIVE_MISSING
    repo.rename("cron-1", "cron-renamed", cancel)
    assert repo.archive_info("cron-renamed", cancel).name == "cron-renamed"


def test_damage_found_by_a_check_has_its_own_kind(tmp_path: Path, source_tree: Path) -> None:
    cancel = CancelToken()
    repo = _open(tmp_path, encryption="none")
    repo.init(cancel)
    repo.create([str(source_tree)], [], datetime(2026, 1, 2), lambda p: None,
                cancel)
    segments = sorted((tmp_path / "repo" / "data").rglob("[0-9]*"),
                      key=lambda f: f.stat().st_size)
    biggest = segments[-1]
    data = bytearray(biggest.read_bytes())
    for i in range(100, min(len(data), 4000), 7):
        data[i] ^= 0xFF
    biggest.write_bytes(bytes(data))
    with pytest.raises(BackupDeskError) as e:
        repo.check(lambda p: None, cancel)
    assert e.value.kind == DAMAGED


def test_the_engine_loads_no_catalogue_and_no_job_layer() -> None:
    code = ("import sys, core.engines.borg.engine, core.engines.borg.ops\n"
            "bad = [m for m in sys.modules if m.split('.')[:2] in (['core', 'catalogue'], "
            "['core', 'jobs'], ['core', 'runner'], ['core', 'plans'], ['core', 'verify'], "
            "['core', 'backups']) or m.startswith('sqlalchemy')]\n"
            "print(bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
