"""Alembic environment: runs against the engine the workbench made, never a URL of its own."""

from alembic import context
from sqlmodel import SQLModel

import workbench.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from workbench.db import is_modelled

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=is_modelled,
    )
    with context.begin_transaction():
        context.run_migrations()
