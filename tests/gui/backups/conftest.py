from __future__ import annotations

from pathlib import Path

import pytest

from core.config import AppPaths
from core.plans import add_plan
from core.runner import run_plan


def make_source(root: Path) -> Path:
    src = root / "Docs"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.txt").write_text("beta\n")
    return src


@pytest.fixture
def backups(catalogue, home, tmp_path):
    """Plan 'docs' with two destinations and a chain: a full and an incremental."""
    src = make_source(tmp_path)
    d1, d2 = tmp_path / "dest1", tmp_path / "dest2"
    add_plan(catalogue, "docs", "archive", sources=[str(src)], destinations=[str(d1), str(d2)],
             options={"verify_after": False})
    paths = AppPaths.resolve(str(home))
    full = run_plan(catalogue, paths, "docs")
    (src / "c.txt").write_text("gamma\n")
    inc = run_plan(catalogue, paths, "docs")
    assert (full.status, inc.status, inc.type) == ("success", "success", "incremental")
    return {"src": src, "dests": (d1, d2), "full": full.backup_id, "inc": inc.backup_id}
