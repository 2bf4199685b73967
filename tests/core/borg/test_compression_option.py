"""`plan add --engine borg --compression`: applied to the archives, in either engine's
spelling (real borg, real repository)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from tests.core.borg.conftest import borg_env, needs_borg
from tests.core.borg.test_flows import add_plan, backups

pytestmark = [pytest.mark.borg, needs_borg]


@pytest.mark.parametrize("spelling", ["zstd:3", "zstd,3"])
def test_compression_reaches_borg_create(home: Path, catalogue: Any, tmp_path: Path,
                                         source_tree: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str],
                                         spelling: str) -> None:
    repo = tmp_path / "repo"
    assert add_plan(home, repo, source_tree, monkeypatch, "--init",
                    "--compression", spelling) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "plan", "show", "docs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["options"]["compression"] == "zstd,3"
    assert main(["--home", str(home), "run", "docs"]) == 0
    [b] = backups(catalogue)
    info = subprocess.run(["borg", "info", "--json", f"{repo}::{b.name}"], env=borg_env(),
                          check=True, capture_output=True, text=True)
    command_line = json.loads(info.stdout)["archives"][0]["command_line"]
    at = command_line.index("--compression")
    assert command_line[at + 1] == "zstd,3"
