"""What a run loads before its engine starts, and the work done beside the engine
(core.beside): whole `backupdesk` commands in a fresh process each."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.beside import Beside

# The end of an archive run: loaded on a thread beside the engine, never before it starts.
END_OF_RUN = ["core.jobs.backup_end", "core.catalogue_backup", "core.jobs.prune",
              "core.jobs.verify", "core.verify", "core.findex.indexing"]

SCRIPT = """
import json, sys
from core.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "loaded": sorted(m for m in sys.modules
                                                 if m in ("logging.handlers", "socket"))}))
"""


def test_the_archive_job_loads_no_end_of_run_before_its_engine() -> None:
    code = f"import sys, core.jobs.backup; print([m for m in {END_OF_RUN!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_beside_gives_the_result_of_the_work_done_on_its_thread() -> None:
    where: list[str] = []

    def work() -> int:
        where.append(threading.current_thread().name)
        return 42

    assert Beside(work, "t-beside").result() == 42
    assert where == ["t-beside"]


def test_beside_raises_what_the_work_raised_in_the_callers_thread() -> None:
    def work() -> int:
        raise ModuleNotFoundError("no such module")

    b = Beside(work, "t-beside")
    with pytest.raises(ModuleNotFoundError, match="no such module"):
        b.result()


def _command(home: Path, *args: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, "--home", str(home), *args],
                         capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_run_that_logs_nothing_opens_no_log_file(one_file_home: Path) -> None:
    assert _command(one_file_home, "run", "one", "--full") == {"code": 0, "loaded": []}
    assert not (one_file_home / "logs" / "backupdesk.log").exists()


def test_the_log_file_is_written_with_the_first_record(one_file_home: Path) -> None:
    result = _command(one_file_home, "run", "no-such-plan")
    assert result["code"] == 1 and "logging.handlers" in result["loaded"]  # type: ignore[operator]
    log = one_file_home / "logs" / "backupdesk.log"
    assert "no-such-plan" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
