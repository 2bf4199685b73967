"""A catalogue file at the head revision is opened and used without SQLAlchemy or alembic:
whole `backupdesk` commands, in a fresh process each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, sys
from core.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "alembic"})
print(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize("command", [["run", "one"], ["run", "one", "--full"], ["status"],
                                     ["history"], ["plan", "list"], ["backups"]])
def test_commands_load_no_sqlalchemy(one_file_home: Path, command: list[str]) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, "--home", str(one_file_home), *command],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}, out.stderr


def test_a_new_catalogue_is_migrated_with_alembic(home: Path) -> None:
    """The reverse: a catalogue that is not at the head revision needs the migrations (the test
    above would pass trivially if the check never ran)."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, "--home", str(home), "plan", "list"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": ["alembic", "sqlalchemy"]}, out.stderr
