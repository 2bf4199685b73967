"""Backups pane with many backups: the GUI thread's share of a reload, against the worker's.

Run on demand: python tests/bench/bench_backups_pane.py [N]  (default 20,000 backups in chains
of 7, two destinations each). Reports the worker's load (SQL + as_tree) as the baseline and the
GUI thread's part (model reset, expandAll) as a ratio of it; the GUI part is what could freeze.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def fill(cat: object, n: int) -> None:
    from core.catalogue.schema import Backup, BackupLocation
    from core.timeutil import utcnow
    from tests.core.helpers import orm_session

    start = utcnow() - timedelta(days=n)
    with orm_session(cat) as s:
        parent = None
        for i in range(n):
            b = Backup(plan_name=f"plan-{i % 5}", engine="archive",
                       type="full" if i % 7 == 0 else "incremental",
                       parent_id=None if i % 7 == 0 else parent, name=f"b{i}",
                       created_at=start + timedelta(hours=i), size=i * 1000, files=i,
                       sha256="ab" * 32, details={})
            s.add(b)
            s.flush()
            parent = b.id
            for d in ("/mnt/a", "/mnt/b"):
                s.add(BackupLocation(backup_id=b.id, destination=d, path=f"{d}/b{i}",
                                     state="ok", size=i * 1000))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    from PySide6.QtWidgets import QApplication

    from core.backups import BackupFilter
    from core.catalogue.db import open_catalogue
    from core.config import AppConfig
    from gui.context import AppContext
    from gui.panes.backups.controller import load_backups
    from gui.panes.backups.pane import BackupsPane

    app = QApplication([])
    home = Path(tempfile.mkdtemp(prefix="bd-bench-pane-"))
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    fill(cat, n)
    t0 = time.perf_counter()
    result = load_backups(cat, BackupFilter())
    worker = time.perf_counter() - t0
    ctx = AppContext(cfg)
    pane = BackupsPane(ctx)
    pane.resize(1200, 700)
    pane.show()
    t0 = time.perf_counter()
    pane.model._generation += 1
    pane.model._apply(pane.model._generation, result)
    app.processEvents()
    gui = time.perf_counter() - t0
    print(f"{n} backups: worker load {worker:.3f} s (baseline), GUI thread {gui:.3f} s, "
          f"ratio {gui / worker:.2f}")
    ctx.workers.wait(10000)
    cat.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
