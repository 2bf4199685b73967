"""Issue 16 defect 6: a deleted backup's id is never given to a later backup."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from core.catalogue import open_catalogue
from core.catalogue.db import HEAD_REVISION, current_revision, upgrade
from tests.core.helpers import orm_session

INSERT_BACKUP = ("INSERT INTO backups (plan_name, engine, type, name, created_at, details)"
                 " VALUES ('docs', 'archive', 'full', :n, CURRENT_TIMESTAMP, '{}')")


def _new_backup(cat, name: str) -> int:
    from core.catalogue.schema import Backup

    with orm_session(cat) as s:
        b = Backup(plan_name="docs", engine="archive", type="full", name=name, details={})
        s.add(b)
        s.flush()
        return int(b.id)


def _delete(cat, backup_id: int) -> None:
    from core.catalogue.schema import Backup

    with orm_session(cat) as s:
        s.delete(s.get(Backup, backup_id))


def test_a_deleted_backup_id_is_not_reused(any_catalogue):
    first = _new_backup(any_catalogue, "a")
    last = _new_backup(any_catalogue, "b")
    _delete(any_catalogue, last)
    again = _new_backup(any_catalogue, "c")
    assert again > last > first


def _old_catalogue(url: str) -> None:
    """A catalogue made by the previous release (revision 0002) with a chain and its copies."""
    engine = create_engine(url)
    upgrade(engine, "0002")
    with engine.begin() as c:
        for n in ("full", "inc"):
            c.execute(text(INSERT_BACKUP), {"n": n})
        ids = [r[0] for r in c.execute(text("SELECT id FROM backups ORDER BY id"))]
        c.execute(text("UPDATE backups SET parent_id = :p WHERE id = :i"),
                  {"p": ids[0], "i": ids[1]})
        for i in ids:
            c.execute(text("INSERT INTO backup_locations (backup_id, destination, path, state,"
                           " verify_result) VALUES (:b, '/d', '/d/x', 'ok', '{}')"), {"b": i})
    engine.dispose()


def _upgraded_keeps_everything(url: str) -> None:
    cat = open_catalogue(url)
    assert current_revision(cat.engine) == HEAD_REVISION
    with cat.db.connect() as c:
        rows = c.rows("SELECT id, name, parent_id FROM backups ORDER BY id")
        locs = c.rows("SELECT backup_id FROM backup_locations ORDER BY backup_id")
    (full, _, _), (inc, _, parent) = rows
    assert [r[1] for r in rows] == ["full", "inc"] and parent == full
    assert [r[0] for r in locs] == [full, inc]  # the copies survived the rebuild
    _delete(cat, inc)
    assert _new_backup(cat, "next") > inc
    with cat.db.connect() as c:
        assert c.rows("SELECT backup_id FROM backup_locations") == [(full,)]
    cat.dispose()


def test_an_existing_sqlite_catalogue_is_migrated(home):
    from core.config import AppConfig

    cfg = AppConfig.resolve(str(home))
    cfg.paths.ensure()
    _old_catalogue(cfg.catalogue_url)
    _upgraded_keeps_everything(cfg.catalogue_url)
    engine = create_engine(cfg.catalogue_url)
    with engine.connect() as c:
        sql = c.execute(text("SELECT sql FROM sqlite_master WHERE name = 'backups'")).scalar()
        assert "AUTOINCREMENT" in sql
        assert c.execute(text("PRAGMA foreign_keys")).scalar() in (0, 1)
    engine.dispose()


@pytest.mark.postgres
def test_an_existing_postgresql_catalogue_is_migrated(pg_catalogue_url):
    _old_catalogue(pg_catalogue_url)
    _upgraded_keeps_everything(pg_catalogue_url)
