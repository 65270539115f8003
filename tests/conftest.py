"""Test harness: real PostgreSQL and real Redis, never fakes.

By default each pytest process (each xdist worker too) starts an embedded PostgreSQL and
Redis in a temporary data dir. With ``QM_TEST_DATABASE_URL`` (a role that may create roles
and databases) and ``QM_TEST_REDIS_URL`` set, the machine's servers are used instead: each
worker gets its own database and roles, created fresh for the run, and its own Redis db.

Isolation: every test starts from empty tables (TRUNCATE after each test) and an empty
Redis db. Tests may open several connections at once, so concurrency is tested for real.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from quartermaster.api import create_app
from quartermaster.core import migrate
from quartermaster.core.settings import Environment, Settings
from quartermaster.runtime import EmbeddedServices, provision_database
from quartermaster.runtime.pg_access import SYSTEM_DIR_ENV

# The builders and fixtures many packages share (identity, owner, database, catalog, …).
pytest_plugins = ["tests.builders"]

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@dataclass(frozen=True)
class TestServices:
    __test__ = False  # not a test class
    admin_url: str
    owner_url: str
    app_url: str
    redis_url: str
    embedded: bool


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _worker_index() -> int:
    match = re.search(r"(\d+)$", _worker())
    return int(match.group(1)) if match else 0


def _with_database(url: str, database: str, user: str, password: str) -> str:
    return (
        make_url(url)
        .set(database=database, username=user, password=password)
        .render_as_string(hide_password=False)
    )


async def _recreate_database(admin_url: str, database: str) -> None:
    connection = await asyncpg.connect(
        make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def embedded_system_dir() -> Iterator[Path]:
    """Where, as root, embedded PostgreSQL's binaries and data go when its unprivileged
    account cannot reach them (runtime/pg_access.py) — for this session only, so tests
    leave nothing in /var/lib. Subprocesses inherit it through the environment."""
    directory = Path(tempfile.mkdtemp(prefix="qm-test-system-"))
    directory.chmod(0o755)  # our own directory: the unprivileged account reads it
    previous = os.environ.get(SYSTEM_DIR_ENV)
    os.environ[SYSTEM_DIR_ENV] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop(SYSTEM_DIR_ENV, None)
    else:
        os.environ[SYSTEM_DIR_ENV] = previous
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def services(embedded_system_dir: Path) -> Iterator[TestServices]:
    external_db = os.environ.get("QM_TEST_DATABASE_URL")
    external_redis = os.environ.get("QM_TEST_REDIS_URL")
    embedded: EmbeddedServices | None = None
    # The session's servers live in a directory of ours that PostgreSQL's account (as root)
    # can enter, whatever the permissions of pytest's own temporary directories.
    data_root = Path(tempfile.mkdtemp(prefix="qm-test-data-"))
    data_root.chmod(0o711)
    try:
        if not (external_db and external_redis):
            embedded = EmbeddedServices(
                data_root / "qm-data",
                postgres=not external_db,
                redis=not external_redis,
                fast=True,
            )
            urls = embedded.start()
        if external_db:
            import asyncio

            worker = _worker()
            database = f"qm_test_{worker}"
            owner, app = f"qm_test_owner_{worker}", f"qm_test_app_{worker}"
            asyncio.run(_recreate_database(external_db, database))
            provision_database(
                external_db,
                database=database,
                owner_role=owner,
                owner_password=f"{owner}-pw",
                app_role=app,
                app_password=f"{app}-pw",
            )
            admin_url = external_db
            owner_url = _with_database(external_db, database, owner, f"{owner}-pw")
            app_url = _with_database(external_db, database, app, f"{app}-pw")
        else:
            assert embedded is not None
            admin_url, owner_url, app_url = (
                urls.admin_url,
                urls.database_owner_url,
                urls.database_url,
            )
        if external_redis:
            # One Redis db per xdist worker; db 0 is left to whatever else uses the server.
            redis_url = str(make_url(external_redis).set(database=str(1 + _worker_index() % 15)))
        else:
            assert embedded is not None
            redis_url = urls.redis_url
        migrate.upgrade(owner_url, app_role=migrate.application_role(app_url, owner_url))
        yield TestServices(admin_url, owner_url, app_url, redis_url, embedded is not None)
    finally:
        if embedded is not None:
            embedded.stop()
        shutil.rmtree(data_root, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(services: TestServices) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env=Environment.DEVELOPMENT,
        database_url=services.app_url,
        database_owner_url=services.owner_url,
        redis_url=services.redis_url,
        secret_key=TEST_SECRET,
        log_format="console",
        log_level="WARNING",
        database_pool_size=5,
        # Cheap argon2 parameters keep the suite fast; the algorithm and code path are
        # the production ones (like Django's test hashers).
        password_argon2_time_cost=1,
        password_argon2_memory_kib=1024,
    )


def plain(url: str) -> str:
    """A URL asyncpg.connect accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def owner_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain(services.owner_url))
    yield connection
    await connection.close()


@pytest.fixture
async def app_conn(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain(services.app_url))
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        yield http


@pytest.fixture(autouse=True)
async def _clean_state(services: TestServices) -> AsyncIterator[None]:
    """Each test starts from empty tables and an empty Redis db."""
    yield
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        tables = await connection.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(row["name"] for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
    redis = Redis.from_url(services.redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "qm"


class Outbox:
    """The e-mails the app queued (core/mail's table), read as the owner role, which sees
    every tenant's and account's: what a person would find in their mailbox, for tests
    that follow a link (an invitation, a password reset)."""

    def __init__(self, owner_url: str) -> None:
        self.owner_url = owner_url

    async def messages(self, to: str | None = None, kind: str | None = None) -> list[Any]:
        connection = await asyncpg.connect(plain(self.owner_url))
        try:
            return list(
                await connection.fetch(
                    "SELECT * FROM mail_messages WHERE ($1::text IS NULL OR $1 = ANY(to_addresses))"
                    " AND ($2::text IS NULL OR kind = $2) ORDER BY id",
                    to,
                    kind,
                )
            )
        finally:
            await connection.close()

    async def token(self, to: str, kind: str) -> str:
        """The token of the newest link of ``kind`` mailed to ``to``."""
        found = await self.messages(to=to, kind=kind)
        assert found, f"no {kind} mail to {to}"
        match = re.search(r"#token=(qm[a-z]_[0-9a-f]+)", found[-1]["text_body"])
        assert match, found[-1]["text_body"]
        return match.group(1)


@pytest.fixture
def outbox(services: TestServices) -> Outbox:
    return Outbox(services.owner_url)
