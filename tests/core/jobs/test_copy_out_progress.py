"""Issue 16, "Copy out shows bytes and percent": `copy_out` reports bytes and files as it copies,
a cancel keeps what was complete and leaves no half file; `backupdesk copy-out` shows a bar on a
terminal (a real pty), plain lines into a pipe, nothing with --json."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.backups import get_backup
from core.errors import CancelledError
from core.jobs import copy_out as copy_out_job
from core.jobs.copy_out import copy_out
from core.progress import CancelToken, Progress
from tests.core.helpers import on_a_terminal, random_backup

MIB = 1 << 20


@pytest.fixture
def backup(catalogue, home: Path, tmp_path: Path) -> int:
    """A real archive backup of 12 MiB of incompressible data (a few 4 MiB chunks to copy)."""
    return random_backup(catalogue, home, tmp_path / "Documents", "docs", 6, 2 * MIB)


def _finals(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_reports_bytes_and_files_per_chunk(catalogue, backup: int, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copy_out_job, "REPORT_EVERY", 0.0)  # every chunk reports
    seen: list[Progress] = []
    paths = copy_out(catalogue, backup, tmp_path / "out", progress=seen.append)
    b = get_backup(catalogue, backup)
    total = sum(a.size for a in b.artifacts)
    assert total > 8 * MIB and len(paths) == len(b.artifacts)
    assert seen[0].bytes_done == 0 and seen[0].fraction == 0.0
    assert seen[-1] == Progress("copying", total, total, len(paths), len(paths),
                                seen[-1].current)
    done = [p.bytes_done for p in seen]
    assert done == sorted(done)
    assert len({p.fraction for p in seen if 0 < (p.fraction or 0) < 1}) >= 2  # in between too


def test_reports_are_throttled(catalogue, backup: int, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Between reports due by time, only the start and each finished file report."""
    monkeypatch.setattr(copy_out_job, "REPORT_EVERY", 3600.0)
    seen: list[Progress] = []
    paths = copy_out(catalogue, backup, tmp_path / "out", progress=seen.append)
    assert [p.files_done for p in seen] == list(range(len(paths) + 1))


@pytest.mark.parametrize("when", ["mid-file", "after the first file"])
def test_cancel_keeps_whole_files_and_no_half_one(catalogue, backup: int, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  when: str) -> None:
    monkeypatch.setattr(copy_out_job, "REPORT_EVERY", 0.0)
    cancel = CancelToken()
    b = get_backup(catalogue, backup)
    big = max(b.artifacts, key=lambda a: a.size)
    order = [a.name for a in b.artifacts]

    def watch(p: Progress) -> None:
        if when == "mid-file" and 0 < p.bytes_done < big.size:
            cancel.cancel()
        if when == "after the first file" and p.files_done == 1:
            cancel.cancel()

    with pytest.raises(CancelledError):
        copy_out(catalogue, backup, tmp_path / "out", cancel=cancel, progress=watch)
    folder = tmp_path / "out" / b.name
    kept = _finals(folder)  # no temporary file either
    assert kept == ([] if when == "mid-file" else [order[0]])
    for a in b.artifacts:
        if a.name in kept:
            assert hashlib.sha256((folder / a.name).read_bytes()).hexdigest() == a.sha256


def _argv(home: Path, backup: int, to: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "core", "--home", str(home), "copy-out", str(backup),
            "--to", str(to), *extra]


def test_a_terminal_gets_a_progress_bar(catalogue, home: Path, backup: int,
                                        tmp_path: Path) -> None:
    code, text = on_a_terminal(_argv(home, backup, tmp_path / "out"))
    assert code == 0, text[-2000:]
    assert "━" in text, text[-2000:]  # the bar is drawn
    assert f"backup {backup}" in text and "%" in text and "Copying" in text
    into = tmp_path / "out" / get_backup(catalogue, backup).name
    assert f"Copied 2 files (12.0 MiB) into {into}, each checked" in text, text[-2000:]


def test_a_pipe_gets_plain_lines_and_json_gets_none(home: Path, backup: int,
                                                    tmp_path: Path) -> None:
    plain = subprocess.run(_argv(home, backup, tmp_path / "plain"), capture_output=True,
                           text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stderr.splitlines()
    assert lines and all(line.startswith(f"backup {backup}: ") for line in lines), plain.stderr
    assert "%" in lines[0] and " B of " in lines[0], lines[0]  # bytes of the total, a percent
    assert "\x1b" not in plain.stderr and "━" not in plain.stderr
    assert plain.stdout.startswith("Copied ")
    quiet = subprocess.run(_argv(home, backup, tmp_path / "quiet", "--json"),
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert len(json.loads(quiet.stdout)) == 2
