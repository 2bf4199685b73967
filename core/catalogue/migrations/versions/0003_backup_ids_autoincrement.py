"""backup ids are never reused: SQLite AUTOINCREMENT on backups; jobs.phase for the heartbeat

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

PostgreSQL's id sequence never hands out an id twice: nothing to do there. SQLite reuses the
largest id after it is deleted unless the table is AUTOINCREMENT, which only a rebuild of the
table can add. The rebuild runs with foreign keys off (else dropping the old table would cascade
to backup_locations), which SQLite allows only outside a transaction.
"""
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw: Any = bind.connection.driver_connection
    if raw.in_transaction:
        raw.commit()  # the steps before this one are complete
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table("backups", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"backups rebuild broke foreign keys: {broken[:5]}")
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    op.add_column('jobs', sa.Column('phase', sa.String(length=32), nullable=True))
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
    with op.batch_alter_table('jobs') as b:
        b.drop_column('phase')
