"""The restore check (`backupdesk restore-test`): one job that restores a sample of a plan's
latest backup and compares it; real backups, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.catalogue.history import job_detail, job_rows
from core.cli.main import main
from core.engines import Capability, EngineSpec, Storage
from core.errors import EngineError
from core.jobs.restore_check import run_restore_check
from tests.core.jobs.helpers import plan_of_engine


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def backed_up(home: Path, tree: Path, tmp_path: Path) -> Path:
    assert main(["plan", "add", "docs", "--engine", "archive", "--source", str(tree),
                 "--dest", str(tmp_path / "d")]) == 0
    assert main(["run", "docs"]) == 0
    return tmp_path / "d"


def test_a_healthy_backup_passes_as_one_job(catalogue: Any, backed_up: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, r = _cli_json(capsys, "restore-test", "docs", "--files", "3", "--json")
    assert code == 0 and r["ok"] and r["checked"] == 3 and r["problems"] == []
    row = job_rows(catalogue, [r["job_id"]])[0]
    assert (row.kind, row.status, row.files) == ("restore_test", "success", 3)
    assert "Restored and compared 3 files" in job_detail(catalogue, row.id).log


def _damage(backed_up: Path) -> None:
    (archive,) = backed_up.rglob("files.tar.zst")
    archive.write_bytes(archive.read_bytes()[:200])  # cut short on the disk


def _restore_check_job(cat: Any) -> Any:
    (row,) = [r for r in job_rows(cat, list(range(1, 10))) if r.kind == "restore_test"]
    return row


def test_a_damaged_backup_ends_its_job_failed(catalogue: Any, backed_up: Path) -> None:
    _damage(backed_up)
    assert main(["restore-test", "docs", "--json"]) != 0
    row = _restore_check_job(catalogue)
    assert row.status == "failed" and row.error
    assert job_detail(catalogue, row.id).details["error_kind"]


def test_a_damaged_backup_is_an_engine_error(catalogue: Any, backed_up: Path) -> None:
    _damage(backed_up)
    main(["restore-test", "docs"])
    row = _restore_check_job(catalogue)
    assert job_detail(catalogue, row.id).details["error_kind"] == "engine"


def test_an_engine_without_restore_checks_is_refused_before_any_job(
        catalogue: Any, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = EngineSpec(name="vault", title="Vault", storage=Storage.REPOSITORY,
                       capabilities=frozenset({Capability.RUN}))
    plan_of_engine(catalogue, monkeypatch, tmp_path, vault, "v")
    with pytest.raises(EngineError, match="Restore tests of vault plans are not available"):
        run_restore_check(catalogue, "v")
    assert job_rows(catalogue, [1]) == []
