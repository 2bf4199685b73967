"""remote nodes for the device grid; indexes for every History sort column

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remote_nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mysql_url', sa.Text(), nullable=True),
    sa.Column('rsync_url', sa.Text(), nullable=True),
    sa.Column('agent_url', sa.Text(), nullable=True),
    sa.Column('token_file', sa.Text(), nullable=True),
    sa.Column('poll_interval_s', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remote_nodes')),
    sa.UniqueConstraint('name', name=op.f('uq_remote_nodes_name'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_bytes', ['bytes', 'id'], unique=False)
        batch_op.create_index('ix_jobs_duration', ['duration_ms', 'id'], unique=False)
        batch_op.create_index('ix_jobs_kind_started', ['kind', 'started_at', 'id'], unique=False)
        batch_op.create_index('ix_jobs_requested_by', ['requested_by', 'id'], unique=False)
        batch_op.create_index('ix_jobs_error', ['error', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_error')
        batch_op.drop_index('ix_jobs_requested_by')
        batch_op.drop_index('ix_jobs_kind_started')
        batch_op.drop_index('ix_jobs_duration')
        batch_op.drop_index('ix_jobs_bytes')
    op.drop_table('remote_nodes')
