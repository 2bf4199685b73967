from core.catalogue import open_catalogue
from core.catalogue.history import history_page
from core.catalogue.jobs import finish_job, start_job


def test_catalogue_on_postgresql(pg_catalogue_url):
    cat = open_catalogue(pg_catalogue_url)
    jid = start_job(cat, engine="archive", kind="backup", plan_name="p")
    finish_job(cat, jid, "success", bytes=5)
    rows = history_page(cat)
    assert [(r.id, r.status, r.bytes) for r in rows] == [(jid, "success", 5)]
    cat.dispose()


def test_postgresql_catalogue_upgrades_from_first_revision(pg_catalogue_url):
    from sqlalchemy import create_engine, text

    from core.catalogue.db import HEAD_REVISION, current_revision, upgrade

    engine = create_engine(pg_catalogue_url)
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO jobs (plan_name, engine, kind, trigger, status, requested_by,"
                       " host, created_at, details) VALUES ('old', 'borg', 'backup', 'external',"
                       " 'success', '', '', now(), '{}')"))
    engine.dispose()
    cat = open_catalogue(pg_catalogue_url)
    assert current_revision(cat.engine) == HEAD_REVISION
    assert [r.plan for r in history_page(cat)] == ["old"]
    cat.dispose()
