"""Alembic environment: the URL comes from `formservice db upgrade`, never from a file."""

from __future__ import annotations

from alembic import context

from formservice.store.db import make_engine
from formservice.store.models import Base

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not url:
    raise RuntimeError("no database URL: run migrations through `formservice db upgrade`")

engine = make_engine(url)
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename); with foreign keys on, dropping
        # the old table would cascade deletes to every row referencing it. Off for the migration
        # (a PRAGMA takes effect outside a transaction only), checked after it.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.commit()
        if broken:
            raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
engine.dispose()
