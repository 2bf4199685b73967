"""Alembic environment: always run in-process on a connection handed over by core.catalogue."""

from __future__ import annotations

from alembic import context

from core.catalogue.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through core.catalogue.db.upgrade().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
