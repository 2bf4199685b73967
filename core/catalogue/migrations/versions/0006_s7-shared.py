"""the History's Host column: jobs sorted by the host that ran them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

`ix_jobs_host` lets the History sort and page by host without reading every job, as it does
by each of its other columns.
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_jobs_host', 'jobs', ['host', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_host', table_name='jobs')
