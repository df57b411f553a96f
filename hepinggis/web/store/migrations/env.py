"""Alembic environment: run with the connection `hepinggis.web.store._migrate.upgrade` passes in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    version_table="hepinggis_schema_version",
)
with context.begin_transaction():
    context.run_migrations()
