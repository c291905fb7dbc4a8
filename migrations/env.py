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
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
