"""A catalogue file at the head revision is opened and used without SQLAlchemy or alembic:
whole `backupdesk` commands, in a fresh process each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.catalogue import open_catalogue
from core.config import AppConfig
from core.plans import add_plan

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


@pytest.fixture
def one_file_home(home: Path, tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("hello")
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)  # created and migrated here, with SQLAlchemy
    add_plan(cat, "one", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "dest")])
    cat.dispose()
    return home


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
