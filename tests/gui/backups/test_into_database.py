"""Restore "into database": a PostgreSQL dump made by run_plan, loaded through the dialog into
another database of the real test server; and the plan editor's Test connection against it."""

from __future__ import annotations

import pytest

from core.config import AppPaths
from core.jobs.run import run_plan
from core.plans import add_plan
from gui.panes.backups.pane import BackupsPane

pytestmark = pytest.mark.postgres


def test_dump_loaded_into_another_database(qtbot, app_ctx, home, tmp_path, pg_server,
                                           pg_database, monkeypatch):
    import psycopg

    def connect(db):
        return psycopg.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                               dbname=db, autocommit=True)

    with connect(pg_database) as c:
        c.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        c.execute("INSERT INTO items VALUES (1, 'one'), (2, 'two')")
    cat = app_ctx.catalogue
    add_plan(cat, "db", "archive", sources=[], destinations=[str(tmp_path / "d")],
             options={"databases": [pg_server.url(pg_database, driver="postgresql")],
                      "include": "databases"})
    assert run_plan(cat, AppPaths.resolve(str(home)), "db").status == "success"
    target = f"{pg_database}_into"
    pg_server.admin(f'CREATE DATABASE "{target}"')
    try:
        pane = BackupsPane(app_ctx)
        qtbot.addWidget(pane)
        qtbot.waitUntil(lambda: len(pane.model.items) == 1, timeout=10000)
        pane.select(pane.model.items[0].id)

        def fill(dlg):
            assert dlg.to_db.isEnabled() and dlg.dump.currentText().endswith(".pgdump")
            dlg.to_db.setChecked(True)
            dlg.url.setText(pg_server.url(target, driver="postgresql"))
            return True

        monkeypatch.setattr(pane, "exec_dialog", fill)
        with qtbot.waitSignal(pane.ops.done, timeout=60000):
            pane.restore_button.click()
        with connect(target) as c:
            assert c.execute("SELECT name FROM items ORDER BY id").fetchall() == [("one",),
                                                                                   ("two",)]
        assert "Restored backup" in pane.message.text()
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_test_connection_against_postgres(qtbot, app_ctx, pg_server, pg_database):
    from gui.panes.settings.plan_editor import PlanEditor

    ed = PlanEditor(app_ctx)
    qtbot.addWidget(ed)
    dbs = ed.archive.databases
    good = dbs.add_row(pg_server.url(pg_database, driver="postgresql"))
    missing = dbs.add_row(pg_server.url("no_such_db_here", driver="postgresql"))
    with qtbot.waitSignal(dbs.tested, timeout=30000) as blocker:
        dbs.test(good)
    assert blocker.args[1] is True, blocker.args[2]
    with qtbot.waitSignal(dbs.tested, timeout=30000) as blocker:
        dbs.test(missing)
    assert blocker.args[1] is False and "no_such_db_here" in missing.status.text()
