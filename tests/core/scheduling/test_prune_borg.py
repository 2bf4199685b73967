"""`backupdesk prune` and scheduled runs of borg plans, on a real repository."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import pytest

from core.cli.main import main
from tests.core.borg.conftest import borg_env, needs_borg
from tests.core.borg.test_flows import add_plan, jobs

pytestmark = [pytest.mark.borg, needs_borg]


@pytest.fixture(autouse=True)
def _isolated_borg(tmp_path, monkeypatch):
    """As in tests/core/borg: borg's own folders per test, no keyring, no passphrase."""
    monkeypatch.setenv("BORG_BASE_DIR", str(tmp_path / "borg-base"))
    monkeypatch.setenv("BACKUPDESK_SECRETS_FILE_ONLY", "1")
    for var in ("BORG_PASSPHRASE", "BORG_PASSCOMMAND", "BORG_RSH", "BACKUPDESK_PASSPHRASE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def source_tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha\n" * 100)
    return src


def archives(repo):
    return subprocess.run(["borg", "list", "--short", str(repo)], env=borg_env(),
                          capture_output=True, text=True, check=True).stdout.split()


def test_borg_prune_dry_run_then_prune_and_compact(home, catalogue, tmp_path, source_tree,
                                                    monkeypatch, capsys):
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init", "--keep-last", "1",
                    "--no-prune") == 0
    for i in range(2):
        (source_tree / "n.txt").write_text(str(i))
        assert main(["--home", str(home), "run", "docs"]) == 0
    assert len(archives(repo)) == 2
    capsys.readouterr()
    assert main(["--home", str(home), "prune", "docs", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert len(dry["remove"]) == 1 and dry["engine"] == "borg"
    assert len(archives(repo)) == 2
    assert main(["--home", str(home), "prune", "docs"]) == 0
    assert "compacted" in capsys.readouterr().out
    assert len(archives(repo)) == 1
    kinds = [(j.kind, j.status) for j in jobs(catalogue)]
    assert ("prune", "success") in kinds and ("compact", "success") in kinds


def test_scheduled_borg_backup_is_a_scheduled_job(home, catalogue, tmp_path, source_tree,
                                                  monkeypatch):
    from core.config import AppPaths
    from core.plans import get_plan
    from core.scheduling import due_jobs
    from core.scheduling.loop import Due

    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init") == 0
    plan = get_plan(catalogue, "docs")
    now = datetime.now(UTC)
    done = due_jobs.execute(catalogue, AppPaths.resolve(str(home)),
                                  Due(1, plan.id, "docs", "backup", now, now, False))
    assert done.status == "success", done.error
    done = due_jobs.execute(catalogue, AppPaths.resolve(str(home)),
                                  Due(2, plan.id, "docs", "verify", now, now, False))
    assert done.status == "success", done.error
    ran = [(j.kind, j.trigger, j.requested_by) for j in jobs(catalogue)
           if j.kind in ("backup", "verify")]
    assert ran == [("backup", "scheduled", "scheduler"), ("verify", "scheduled", "scheduler")]
    assert len(archives(repo)) == 1

