"""shared catalogue: a job's process start time (PID reuse); a plan's home host

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

jobs.pid_start: the start time of the job's process (Linux: clock ticks after boot, from
/proc/PID/stat), so that a reused PID is not taken for the job's process. plans.host: the host
whose scheduler runs the plan and where `run` runs it without `--here`; NULL (every plan made
before this revision) means any host.
"""
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('jobs', sa.Column('pid_start', sa.BigInteger(), nullable=True))
    op.add_column('plans', sa.Column('host', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plans') as b:
        b.drop_column('host')
    with op.batch_alter_table('jobs') as b:
        b.drop_column('pid_start')
