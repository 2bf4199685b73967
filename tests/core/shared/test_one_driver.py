"""A PostgreSQL catalogue loads one driver, psycopg2, also when its migrations run (a fresh
database) and when the URL names psycopg 3 (`postgresql+psycopg://`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from core.catalogue.db import open_catalogue
cat = open_catalogue(sys.argv[1])
with cat.db.connect() as c:
    c.scalar("SELECT count(*) FROM plans")
print(json.dumps(sorted(m for m in ("psycopg", "psycopg2") if m in sys.modules)))
"""


def drivers_loaded(url: str, home: Path) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True,
                          env={**os.environ, "BACKUPDESK_HOME": str(home)}, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_migrating_and_using_a_postgresql_catalogue_loads_psycopg2_only(
        pg_catalogue_url: str, tmp_path: Path) -> None:
    assert pg_catalogue_url.startswith("postgresql+psycopg://")
    assert drivers_loaded(pg_catalogue_url, tmp_path) == ["psycopg2"]  # migrated from empty
    assert drivers_loaded(pg_catalogue_url, tmp_path) == ["psycopg2"]  # at the head already
