"""The idle window reads its catalogue without SQLAlchemy (idle memory, issue #3)."""

import json
import os
import subprocess
import sys

from core.catalogue import open_catalogue
from core.catalogue.jobs import finish_job, start_job
from core.config import AppConfig
from core.plans import add_plan
from core.scheduling.plan_schedules import set_schedule


def test_an_idle_window_does_not_load_sqlalchemy(home, tmp_path):
    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    cat = open_catalogue(cfg.catalogue_url)
    add_plan(cat, "docs", "archive", sources=[str(tmp_path / "src")],
             destinations=[str(tmp_path / "d")])
    set_schedule(cat, "docs", "*/5 * * * *")  # the window's scheduler claims its first due time
    for status in ("success", "failed"):
        jid = start_job(cat, engine="archive", kind="backup", plan_name="docs")
        finish_job(cat, jid, status)
    cat.dispose()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "core", "--home", str(home), "gui", "--exit-after-start"],
        capture_output=True, text=True, env=env, timeout=120, check=True).stdout
    marks = json.loads(out.strip().splitlines()[-1])
    assert "history_loaded" in marks and marks["sqlalchemy_loaded"] is False
    cat = open_catalogue(cfg.catalogue_url)
    with cat.db.connect() as c:
        assert c.scalar("SELECT next_due_at FROM schedules") is not None
    cat.dispose()


def test_panes_are_built_without_importing_sqlalchemy_on_the_gui_thread():
    # Importing SQLAlchemy and the models takes about 250 ms: a pane that did it at build time
    # would freeze the window on its first show. Their queries import it in a worker.
    code = ("import sys\n"
            "import gui.panes.backups.pane, gui.panes.devices.pane, gui.panes.settings.pane\n"
            "import gui.panes.history.pane, gui.tray, gui.welcome, gui.borg_refresh\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')[:3])")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"
