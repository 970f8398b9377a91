"""Alembic environment: autolog passes an open connection, so nothing here reads an ini file.

``autolog.store.sql._migrate`` builds the alembic Config programmatically (script location =
this package) and puts the connection in ``config.attributes["connection"]``; the migration
runs inside the transaction that connection already holds, under the store's schema lock.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=context.config.get_main_option("version_table") or "autolog_alembic_version",
    # SQLite changes most table definitions only by copying the table ("batch" mode)
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
