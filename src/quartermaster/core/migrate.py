"""Running Alembic from code: `qm migrate`, `qm serve` (embedded) and the test harness."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(owner_url: str, app_role: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template",
        "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s",
    )
    config.attributes["url"] = owner_url
    config.attributes["app_role"] = app_role
    return config


def application_role(database_url: str, owner_url: str) -> str | None:
    """The role to grant table privileges to, unless the app connects as the owner."""
    app_user = make_url(database_url).username
    owner_user = make_url(owner_url).username
    return app_user if app_user and app_user != owner_user else None


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_application_role(connection: Connection, app_role: str) -> None:
    """Grant the application role DML (never DDL) on everything the owner created.

    Default privileges set when the database was provisioned cover new tables too; this
    catches databases whose roles an operator created by hand.
    """
    role = _quote_ident(app_role)
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON TABLE alembic_version FROM {role}",
    ):
        connection.execute(text(statement))


def upgrade(owner_url: str, *, app_role: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url, app_role), revision)


def downgrade(owner_url: str, *, steps: int = 1) -> None:
    command.downgrade(alembic_config(owner_url), f"-{steps}")


async def upgrade_async(owner_url: str, *, app_role: str | None = None) -> None:
    """For callers inside an event loop: Alembic's env runs its own loop, so use a thread."""
    await asyncio.to_thread(upgrade, owner_url, app_role=app_role)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
