"""Alembic environment: async engine, connecting as the owner role.

The URL and the application role arrive in ``config.attributes`` from
:mod:`quartermaster.core.migrate`; nothing here reads the environment.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from quartermaster.core.db import Base, async_url
from quartermaster.core.migrate import grant_application_role
from quartermaster.modules import import_models

config = context.config
import_models()
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    app_role = config.attributes.get("app_role")
    if app_role:
        # Alembic may leave its version check's transaction open when there was nothing
        # to migrate; the grants join it (or autobegin one) and commit.
        grant_application_role(connection, app_role)
    if connection.in_transaction():
        connection.commit()


async def _run_async() -> None:
    engine = create_async_engine(async_url(config.attributes["url"]), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `qm migrate`.")
asyncio.run(_run_async())
