"""Backups of the embedded database with the wheel's own pg_dump / pg_restore.

Both run as the embedded superuser: row-level security is forced on every tenant table, so
the owner role would dump no rows (pg_dump refuses rather than dump a partial set), and
only a role that bypasses it sees every tenant.

A restore never touches the live database until the dump has been restored completely:
it goes into a fresh database (provisioned like the live one: owner, grants, extension),
in one transaction, and only then are the two swapped by renaming. The previous database
is kept under ``<name>_before_restore_<UTC time>`` until an operator drops it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from quartermaster.runtime.embedded import APP_ROLE, DATABASE, OWNER_ROLE
from quartermaster.runtime.errors import EmbeddedStartError
from quartermaster.runtime.layout import DataDirLayout, load_credentials
from quartermaster.runtime.pg_server import BIN_DIR
from quartermaster.runtime.provision import provision_database_async, quote_ident

RESTORING_SUFFIX = "_restoring"


class BackupFailed(RuntimeError):
    pass


def _libpq(url: str, database: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for ``database`` without the password, and an environment carrying
    it (so the password never shows in the process list)."""
    parsed = make_url(url).set(drivername="postgresql", database=database)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _run(tool: str, arguments: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - our own binary, arguments from our own code
        [str(BIN_DIR / tool), *arguments], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupFailed(f"{tool} failed: {result.stderr.strip()}")


def dump_database(admin_url: str, output: Path, *, database: str = DATABASE) -> None:
    """Dump ``database`` (schema, every tenant's rows, owners, grants, policies) to
    ``output`` in pg_dump's custom format; the file appears only once complete."""
    dsn, env = _libpq(admin_url, database)
    partial = output.with_name(output.name + ".partial")
    try:
        _run("pg_dump", ["--format=custom", f"--file={partial}", f"--dbname={dsn}"], env)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(output)


async def _admin(admin_url: str) -> asyncpg.Connection:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn)


def restore_database(data_dir: Path, admin_url: str, dump: Path) -> str:
    """Replace the embedded database with ``dump``'s contents; returns the name under
    which the previous database is kept. Nothing may be connected to the database."""
    credentials = load_credentials(DataDirLayout.of(data_dir))
    if credentials is None:
        raise EmbeddedStartError(f"no embedded credentials in {data_dir}")
    restoring = DATABASE + RESTORING_SUFFIX
    kept = f"{DATABASE}_before_restore_{datetime.now(UTC):%Y%m%d%H%M%S}"

    async def recreate_target() -> None:
        connection = await _admin(admin_url)
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {quote_ident(restoring)}")
        finally:
            await connection.close()
        await provision_database_async(
            admin_url,
            database=restoring,
            owner_role=OWNER_ROLE,
            owner_password=credentials.owner_password,
            app_role=APP_ROLE,
            app_password=credentials.app_password,
        )

    async def swap() -> None:
        connection = await _admin(admin_url)
        try:
            others = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", DATABASE
            )
            if others:
                raise BackupFailed(
                    f"{others} connection(s) to {DATABASE!r} are open: stop `qm serve` (and "
                    f"anything else using it) and restore again; {restoring!r} holds the "
                    "restored data meanwhile."
                )
            await connection.execute(
                f"ALTER DATABASE {quote_ident(DATABASE)} RENAME TO {quote_ident(kept)}"
            )
            await connection.execute(
                f"ALTER DATABASE {quote_ident(restoring)} RENAME TO {quote_ident(DATABASE)}"
            )
        finally:
            await connection.close()

    asyncio.run(recreate_target())
    dsn, env = _libpq(admin_url, restoring)
    _run(
        "pg_restore",
        ["--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(dump)],
        env,
    )
    asyncio.run(swap())
    return kept
