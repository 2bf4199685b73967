"""Running `backupdesk` in this process for the file index tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main


def cli(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["--home", str(home), *args])
    return rc, capsys.readouterr().out


def lines(out: str) -> list[dict[str, Any]]:
    """Output of one JSON object a line."""
    return [json.loads(x) for x in out.splitlines() if x.strip()]
