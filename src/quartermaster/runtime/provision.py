"""Idempotent set-up of Quartermaster's database and its two roles.

`owner_role` owns the schema (migrations run as it); `app_role` is what the application
connects as: it can read and write rows but not change the schema, is never a superuser
and never bypasses row-level security, so tenant isolation holds even for buggy code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

logger = structlog.get_logger(__name__)

# Serialises concurrent provisioning (e.g. parallel test workers) on one server.
_PROVISION_LOCK_KEY = 0x716D_7072_6F76  # "qmprov"

# Backstops on the application role, for every session it opens (docs/operations.md has
# the same ALTER ROLE for external mode). temp_file_limit may only be set by a superuser,
# which is why it is set here and not per transaction; the app sets shorter statement and
# idle timeouts in each transaction it starts (QM_DATABASE_*_TIMEOUT_SECONDS).
APP_ROLE_SETTINGS: dict[str, str] = {
    "temp_file_limit": "1GB",
    "statement_timeout": "10min",
    "idle_in_transaction_session_timeout": "10min",
}


def quote_ident(name: str) -> str:
    """An SQL identifier, double-quoted so any role or database name is taken literally."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """An SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1)."""
    if "\x00" in value:
        raise ValueError("SQL literal must not contain NUL")
    return "'" + value.replace("'", "''") + "'"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _asyncpg_dsn(url: str) -> str:
    # Accept SQLAlchemy-style URLs ("postgresql+asyncpg://") as well as plain libpq ones.
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


async def _ensure_role(
    conn: asyncpg.Connection, role: str, password: str, *, attributes: str
) -> None:
    ident = quote_ident(role)
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await conn.execute(f"CREATE ROLE {ident} WITH LOGIN {attributes}")
        logger.info("provision.role_created", role=role)
    # Every time, so re-provisioning with new passwords works.
    await conn.execute(f"ALTER ROLE {ident} WITH LOGIN PASSWORD {quote_literal(password)}")
    row = await conn.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", role
    )
    if row is not None and (row["rolsuper"] or row["rolbypassrls"]):
        # A pre-existing role with powers that would defeat row-level security.
        await conn.execute(f"ALTER ROLE {ident} WITH {attributes}")
        logger.warning("provision.role_demoted", role=role)


async def provision_database_async(
    admin_url: str,
    *,
    database: str,
    owner_role: str,
    owner_password: str,
    app_role: str,
    app_password: str,
) -> None:
    """Create (if missing) the roles and the database, and (re)apply grants; idempotent.

    `admin_url` must name a superuser (or a role allowed to create roles and databases
    and to act for `owner_role`); it connects to the database in `admin_url` first.
    """
    db = quote_ident(database)
    owner = quote_ident(owner_role)
    app = quote_ident(app_role)
    admin_dsn = _asyncpg_dsn(admin_url)

    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _PROVISION_LOCK_KEY)
        await _ensure_role(
            conn,
            owner_role,
            owner_password,
            attributes="NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
        )
        await _ensure_role(
            conn,
            app_role,
            app_password,
            attributes="NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
        )
        for name, value in APP_ROLE_SETTINGS.items():
            # Names are constants above; the value is quoted as a literal.
            await conn.execute(f"ALTER ROLE {app} SET {name} = {quote_literal(value)}")
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            # CREATE DATABASE cannot run in a transaction block; asyncpg's execute is autocommit.
            await conn.execute(f"CREATE DATABASE {db} OWNER {owner} ENCODING 'UTF8'")
            logger.info("provision.database_created", database=database, owner=owner_role)
        else:
            await conn.execute(f"ALTER DATABASE {db} OWNER TO {owner}")

        target = await asyncpg.connect(_with_database(admin_dsn, database))
        try:
            async with target.transaction():
                for statement in (
                    f"ALTER SCHEMA public OWNER TO {owner}",
                    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                    f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
                    f"GRANT CONNECT ON DATABASE {db} TO {app}",
                    f"GRANT USAGE ON SCHEMA public TO {app}",
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                    f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
                    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                    f"GRANT EXECUTE ON FUNCTIONS TO {app}",
                    # As the admin: creating pg_trgm and unaccent may need superuser.
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
                    "CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public",
                ):
                    await target.execute(statement)
        finally:
            await target.close()
    finally:
        await conn.close()
    logger.info("provision.done", database=database, owner=owner_role, app=app_role)


def provision_database(
    admin_url: str,
    *,
    database: str,
    owner_role: str,
    owner_password: str,
    app_role: str,
    app_password: str,
) -> None:
    """Synchronous provision_database_async; callable with or without a running event loop."""

    def run() -> None:
        asyncio.run(
            provision_database_async(
                admin_url,
                database=database,
                owner_role=owner_role,
                owner_password=owner_password,
                app_role=app_role,
                app_password=app_password,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run()
        return
    # Called from sync code inside a running loop: asyncio.run needs a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()
