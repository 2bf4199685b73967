import subprocess
import sys
from pathlib import Path

import core

SCRIPT = """
import importlib, pkgutil, sys
import core
for m in pkgutil.walk_packages(core.__path__, "core."):
    if ".migrations" in m.name or m.name.endswith("__main__"):
        continue
    importlib.import_module(m.name)
bad = sorted(n for n in sys.modules if n.split(".")[0] in ("PySide6", "shiboken6", "PyQt5",
                                                           "PyQt6", "gui"))
print(len([n for n in sys.modules if n.startswith("core.")]))
print(",".join(bad))
"""


def test_importing_all_of_core_imports_no_qt():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         check=True, cwd=Path(core.__file__).parent.parent).stdout.splitlines()
    assert int(out[0]) >= 15  # the walk really imported the core modules
    assert out[1] == ""


def test_cli_parser_loads_no_heavy_module():
    """`backupdesk --help` and the GUI's first paint must not pay for SQLAlchemy, httpx, Qt..."""
    code = ("import sys\nfrom core.cli.main import build_parser\nbuild_parser()\n"
            "print(','.join(sorted(m for m in ('sqlalchemy', 'httpx', 'PySide6', 'alembic',"
            " 'croniter', 'zstandard', 'keyring') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
