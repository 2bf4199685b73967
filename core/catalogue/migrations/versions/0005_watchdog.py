"""the watchdog: when a running job's progress last changed; backups by plan and time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

`jobs.progress_at` lets the watchdog call a job hung when its progress stopped changing
(its heartbeat may still beat). `ix_backups_plan_created` reads a plan's latest backups' times
(the cadence learned from an external repository's archives) without a scan.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('jobs', sa.Column('progress_at', sa.DateTime(), nullable=True))
    op.create_index('ix_backups_plan_created', 'backups', ['plan_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_backups_plan_created', table_name='backups')
    with op.batch_alter_table('jobs') as b:
        b.drop_column('progress_at')
