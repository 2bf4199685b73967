"""`plan add`: an option is the plan's engine's (then applied) or refused with one clear line and
exit 2; no engine silently takes another's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def plan_add(home: Path, tmp_path: Path, engine: str,
             *extra: str) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    where = (["--repo", str(tmp_path / "repo")] if engine == "borg"
             else ["--dest", str(tmp_path / "d")])
    args = ["plan", "add", "p", "--engine", engine, "--source", str(src)]
    return subprocess.run([sys.executable, "-m", "core", *args, *extra, *where],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "BACKUPDESK_HOME": str(home)},
                          stdin=subprocess.DEVNULL)


def plans(home: Path) -> list[dict[str, Any]]:
    r = subprocess.run([sys.executable, "-m", "core", "plan", "list", "--json"],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "BACKUPDESK_HOME": str(home)})
    return list(json.loads(r.stdout))


@pytest.mark.parametrize("engine, extra, message", [
    ("borg", ["--full-every", "3"], "--full-every is an option of archive plans, not of borg"),
    ("borg", ["--no-verify"], "--no-verify is an option of archive plans, not of borg plans."),
    ("borg", ["--database", "sqlite:///x.db"], "--database is an option of archive plans"),
    ("borg", ["--include", "files"], "--include is an option of archive plans"),
    ("archive", ["--encryption", "none"], "--encryption is an option of borg plans, not of"),
    ("archive", ["--borg-compression", "lz4"], "--borg-compression is an option of borg plans"),
    ("archive", ["--no-prune"], "--no-prune is an option of borg plans"),
    ("archive", ["--init"], "--init sets up a repository; archive plans keep none."),
    ("borg", ["--s3-endpoint", "http://127.0.0.1:9"],
     "--s3-endpoint is an option of remote destinations, which borg plans do not have."),
])
def test_an_option_of_the_other_engine_is_refused(home: Path, tmp_path: Path, engine: str,
                                                  extra: list[str], message: str) -> None:
    r = plan_add(home, tmp_path, engine, *extra)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and message in r.stderr
    assert plans(home) == []  # nothing recorded


def test_archive_with_a_repository_is_refused(home: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    r = subprocess.run([sys.executable, "-m", "core", "plan", "add", "p", "--engine", "archive",
                        "--source", str(src), "--dest", str(tmp_path / "d"),
                        "--repo", str(tmp_path / "r")],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "BACKUPDESK_HOME": str(home)})
    assert r.returncode == 2
    assert r.stderr == ("backupdesk: --repo is an option of borg plans, not of archive "
                        "plans.\n")
    assert plans(home) == []


def test_shared_options_are_read_by_the_plans_engine(home: Path, tmp_path: Path) -> None:
    r = plan_add(home, tmp_path, "archive", "--compression", "zstd,7", "--keep-daily", "3")
    assert r.returncode == 0, r.stderr
    [plan] = plans(home)
    opts = plan["options"]
    assert isinstance(opts, dict)
    assert opts["compression"] == "zstd:7" and opts["keep"] == {"daily": 3}


def test_a_compression_of_no_engine_is_refused(home: Path, tmp_path: Path) -> None:
    r = plan_add(home, tmp_path, "borg", "--compression", "gzip:6")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "Unknown compression 'gzip:6' for borg plans: use lz4, zstd[,LEVEL]" in r.stderr
    assert plans(home) == []


def edit(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core", "plan", "edit", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "BACKUPDESK_HOME": str(home)},
                          stdin=subprocess.DEVNULL)


def test_plan_edit_changes_only_what_is_given(home: Path, tmp_path: Path) -> None:
    assert plan_add(home, tmp_path, "archive", "--keep-daily", "7", "--keep-weekly", "4",
                    "--schedule", "daily").returncode == 0
    [before] = plans(home)
    r = edit(home, "p", "--compression", "gzip,4", "--keep-weekly", "0", "--keep-monthly", "6",
             "--rename", "docs")
    assert r.returncode == 0, r.stderr
    [after] = plans(home)
    assert after["name"] == "docs" and after["sources"] == before["sources"]
    assert after["destinations"] == before["destinations"]
    def kept(plan: dict[str, Any]) -> list[tuple[object, object]]:
        return [(s["id"], s["expression"]) for s in plan["schedules"]]

    assert kept(after) == kept(before) and len(kept(before)) == 1  # the schedule stays
    assert after["options"] == {**before["options"], "compression": "gzip:4",
                                "keep": {"daily": 7, "monthly": 6}}


def test_plan_edit_refuses_an_option_of_the_other_engine(home: Path, tmp_path: Path) -> None:
    assert plan_add(home, tmp_path, "archive").returncode == 0
    [before] = plans(home)
    r = edit(home, "p", "--encryption", "none")
    assert r.returncode == 2
    assert r.stderr == ("backupdesk: --encryption is an option of borg plans, not of archive "
                        "plans.\n")
    assert plans(home) == [before]
