"""Issue 16 defect 9: `backupdesk run` shows progress: a bar on a terminal (a real pty), plain
lines into a pipe, nothing with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.helpers import on_a_terminal


@pytest.fixture
def plan(home: Path, tmp_path: Path) -> str:
    src = tmp_path / "Documents"
    src.mkdir()
    for i in range(40):
        (src / f"f{i}.bin").write_bytes(os.urandom(256 * 1024))
    subprocess.run([sys.executable, "-m", "core", "--home", str(home), "plan", "add", "docs",
                    "--engine", "archive", "--source", str(src), "--dest",
                    str(tmp_path / "dest")], check=True, capture_output=True)
    return "docs"


def _argv(home: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "core", "--home", str(home), "run", "docs", *extra]


def test_a_terminal_gets_a_progress_bar(home: Path, plan: str) -> None:
    code, text = on_a_terminal(_argv(home))
    assert code == 0, text[-2000:]
    assert "━" in text, text[-2000:]  # the bar is drawn
    assert "docs" in text and "%" in text
    assert "Job 1 of plan 'docs': success" in text


def test_a_pipe_gets_plain_lines_and_json_gets_none(home: Path, plan: str) -> None:
    plain = subprocess.run(_argv(home), capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    assert lines and all(line.startswith("docs: ") for line in lines), plain.stderr
    assert "\x1b" not in plain.stderr and "━" not in plain.stderr
    assert plain.stdout.startswith("Job 1 of plan 'docs': success")
    quiet = subprocess.run(_argv(home, "--json"), capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["status"] == "success"
