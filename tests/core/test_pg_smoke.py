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
