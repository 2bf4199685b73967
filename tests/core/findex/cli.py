"""Running `backupdesk` in this process for the file index tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from tests.core.borg.conftest import PASSPHRASE


def cli(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["--home", str(home), *args])
    return rc, capsys.readouterr().out


def lines(out: str) -> list[dict[str, Any]]:
    """Output of one JSON object a line."""
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def add_borg_plan(home: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch, repo: Path, src: Path, *options: str) -> None:
    """Plan "docs" of the borg engine backing up `src` into a new repository."""
    monkeypatch.setenv("BACKUPDESK_PASSPHRASE", PASSPHRASE)
    rc, out = cli(home, capsys, "plan", "add", "docs", "--engine", "borg", "--repo", str(repo),
                  "--source", str(src), *options, "--init")
    monkeypatch.delenv("BACKUPDESK_PASSPHRASE")
    assert rc == 0, out
