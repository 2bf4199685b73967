"""a plan's latest job of a kind by start: the agent's /status without sorting each plan's jobs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

`ix_jobs_plan_kind_started` is an index seek for "the plan's latest backup job by start"
(core.catalogue.summaries), which sorted every backup job of each plan before.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_jobs_plan_kind_started', 'jobs', ['plan_id', 'kind', 'started_at', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_plan_kind_started', table_name='jobs')
