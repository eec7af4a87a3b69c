"""Alembic environment for the calendar store (run from dashboard.calendar.db.upgrade).

The caller passes an open connection inside its transaction (`config.attributes["connection"]`),
so the migrations run under the caller's lock and commit with it.
"""
from alembic import context

from dashboard.calendar.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run the calendar's migrations through dashboard.calendar.db.upgrade().")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
