"""Running Alembic from code: `qm migrate`, `qm serve` (embedded) and the test harness.

Alembic is imported only when a migration may run: `qm serve` checks on every start
whether the database is already at the newest revision (:func:`upgrade_unless_current`),
and on a second start it is, so Alembic (and its loading of every migration file) is
skipped. That check was about a third of a second start on a busy machine."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(owner_url: str, app_role: str | None = None) -> Config:
    from alembic.config import Config

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
    from alembic import command

    command.upgrade(alembic_config(owner_url, app_role), revision)


def downgrade(owner_url: str, *, steps: int = 1) -> None:
    from alembic import command

    command.downgrade(alembic_config(owner_url), f"-{steps}")


async def upgrade_async(owner_url: str, *, app_role: str | None = None) -> None:
    """For callers inside an event loop: Alembic's env runs its own loop, so use a thread."""
    await asyncio.to_thread(upgrade, owner_url, app_role=app_role)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def migrations_digest() -> str:
    """A digest of every migration file's name and content: it changes whenever a
    migration is added, removed or edited (a re-chained revision too)."""
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


async def _database_revisions(owner_url: str) -> set[str]:
    import asyncpg

    plain = make_url(owner_url).set(drivername="postgresql")
    connection = await asyncpg.connect(plain.render_as_string(hide_password=False), timeout=10)
    try:
        exists = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        if not exists:
            return set()
        return {row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")}
    finally:
        await connection.close()


def upgrade_unless_current(owner_url: str, *, app_role: str | None, stamp: Path) -> bool:
    """Upgrade to the newest revision unless the database is known to be there already:
    ``stamp`` records the head Alembic found for the migration files with this digest; when
    the files are unchanged and the database's revision is that head, nothing runs (one
    query instead of importing Alembic and loading every migration). Returns whether
    Alembic ran. Grants survive: they were given when the tables were created."""
    digest = migrations_digest()
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        recorded = {}
    if (
        isinstance(recorded, dict)
        and recorded.get("digest") == digest
        and recorded.get("head")
        and asyncio.run(_database_revisions(owner_url)) == {recorded["head"]}
    ):
        return False
    upgrade(owner_url, app_role=app_role)
    stamp.write_text(json.dumps({"digest": digest, "head": head_revision()}) + "\n")
    return True
