"""The request owns one transaction; the tenant is scoped per transaction; roles are safe."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.api import create_app
from quartermaster.core.db import (
    Database,
    SessionDep,
    _pooled_connection,
    current_tenant,
    driver_connection,
    set_tenant,
)
from quartermaster.core.errors import Conflict
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.conftest import TestServices, plain

probe = APIRouter(prefix="/api/v1/probe", tags=["probe"])


@probe.post("/notes/{name}", status_code=201)
async def add_note(name: str, session: SessionDep) -> dict[str, str]:
    await session.execute(text("INSERT INTO probe_notes (name) VALUES (:n)"), {"n": name})
    return {"name": name}


@probe.post("/notes/{name}/then-conflict")
async def add_note_then_refuse(name: str, session: SessionDep) -> None:
    await session.execute(text("INSERT INTO probe_notes (name) VALUES (:n)"), {"n": name})
    raise Conflict("refused after writing")


@probe.post("/notes/{name}/then-crash")
async def add_note_then_crash(name: str, session: SessionDep) -> None:
    await session.execute(text("INSERT INTO probe_notes (name) VALUES (:n)"), {"n": name})
    raise RuntimeError("crash after writing")


@pytest.fixture(scope="module")
async def probe_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    app: FastAPI = create_app(settings)
    app.include_router(probe)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


@pytest.fixture
async def notes_table(owner_conn: asyncpg.Connection) -> AsyncIterator[None]:
    # Unique and deferred: a duplicate only fails at COMMIT, after the endpoint returned.
    await owner_conn.execute(
        "CREATE TABLE probe_notes (name text, "
        "CONSTRAINT probe_notes_name UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)"
    )
    yield
    await owner_conn.execute("DROP TABLE probe_notes")


async def _notes(owner_conn: asyncpg.Connection) -> list[str]:
    return [r["name"] for r in await owner_conn.fetch("SELECT name FROM probe_notes ORDER BY 1")]


@pytest.mark.usefixtures("notes_table")
class TestOneTransactionPerRequest:
    async def test_a_successful_request_commits(
        self, probe_client: AsyncClient, owner_conn: asyncpg.Connection
    ) -> None:
        response = await probe_client.post("/api/v1/probe/notes/a")
        assert response.status_code == 201
        assert await _notes(owner_conn) == ["a"]

    async def test_a_domain_error_rolls_back_what_was_written(
        self, probe_client: AsyncClient, owner_conn: asyncpg.Connection
    ) -> None:
        response = await probe_client.post("/api/v1/probe/notes/b/then-conflict")
        problem(response, 409, "conflict")
        assert await _notes(owner_conn) == []

    async def test_a_crash_rolls_back_what_was_written(
        self, probe_client: AsyncClient, owner_conn: asyncpg.Connection
    ) -> None:
        response = await probe_client.post("/api/v1/probe/notes/c/then-crash")
        assert response.status_code == 500
        assert await _notes(owner_conn) == []

    async def test_a_failing_commit_is_never_reported_as_success(
        self, probe_client: AsyncClient, owner_conn: asyncpg.Connection
    ) -> None:
        await owner_conn.execute("INSERT INTO probe_notes (name) VALUES ('dup')")
        response = await probe_client.post("/api/v1/probe/notes/dup")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert await _notes(owner_conn) == ["dup"]


class TestTenantScope:
    async def test_tenant_setting_lasts_only_for_its_transaction(self, settings: Settings) -> None:
        # One pooled connection, so the second transaction reuses the first one's.
        database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
        tenant_a = uuid.uuid4()
        try:
            async with database.transaction(tenant_a) as session:
                assert await current_tenant(session) == tenant_a
                pid_a = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with database.transaction() as session:
                pid_b = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                assert pid_b == pid_a
                assert await current_tenant(session) is None
        finally:
            await database.dispose()

    async def test_tenant_b_never_sees_tenant_a_scope_on_a_reused_connection(
        self, settings: Settings
    ) -> None:
        database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
        tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
        try:
            async with database.transaction(tenant_a):
                pass
            async with database.transaction(tenant_b) as session:
                assert await current_tenant(session) == tenant_b
            with pytest.raises(RuntimeError):
                async with database.transaction(tenant_a) as session:
                    raise RuntimeError("rolled back")
            async with database.transaction() as session:
                assert await current_tenant(session) is None
                await set_tenant(session, tenant_b)
                assert await current_tenant(session) == tenant_b
        finally:
            await database.dispose()


class TestDriverConnection:
    """Plain SQL on the driver connection (the ledger writer's hot path) runs inside the
    session's transaction, even as its first statement."""

    async def test_a_first_statement_sent_around_sqlalchemy_is_inside_the_transaction(
        self, settings: Settings
    ) -> None:
        database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
        tenant = uuid.uuid4()
        try:
            async with database.transaction() as session:
                connection = await driver_connection(session)
                await connection.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", str(tenant)
                )
                assert await current_tenant(session) == tenant
                assert (
                    await session.execute(text("SELECT now() = statement_timestamp()"))
                ).scalar_one() is False
        finally:
            await database.dispose()

    @pytest.mark.usefixtures("notes_table")
    async def test_its_writes_commit_and_roll_back_with_the_session(
        self, settings: Settings, owner_conn: asyncpg.Connection
    ) -> None:
        database = Database(str(settings.database_url))
        try:
            async with database.transaction() as session:
                connection = await driver_connection(session)
                await connection.execute("INSERT INTO probe_notes (name) VALUES ('kept')")
            with pytest.raises(RuntimeError):
                await _insert_then_fail(database, "undone")
        finally:
            await database.dispose()
        assert await _notes(owner_conn) == ["kept"]

    async def test_a_transaction_begins_without_an_extra_statement(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """driver_connection begins the transaction through a private internal of
        SQLAlchemy's asyncpg adapter (core/db.py ``_begin``); when a SQLAlchemy release
        moves it, the public fallback (a ``SELECT 1`` through the session) would run and
        this fails: pyproject.toml's upper bound on SQLAlchemy is for it."""
        database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
        sent: list[str] = []
        execute = AsyncSession.execute

        async def spy(self: AsyncSession, statement: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(statement))
            return await execute(self, statement, *args, **kwargs)

        monkeypatch.setattr(AsyncSession, "execute", spy)
        try:
            async with database.transaction() as session:
                connection = await driver_connection(session)
                assert connection.is_in_transaction()
                assert await connection.fetchval("SELECT now() = statement_timestamp()") is False
        finally:
            await database.dispose()
        assert sent == []

    async def test_a_request_cancelled_during_begin_leaves_no_transaction_open(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A client that leaves cancels its request (core/http.py); if that happens while
        BEGIN is on the wire, the pooled connection must not keep the transaction."""
        database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
        began, release = asyncio.Event(), asyncio.Event()

        async def slow_start(adapted: Any) -> None:
            # BEGIN reaches the server; the adapter learns of it only after `release`.
            transaction = adapted._connection.transaction()
            await transaction.start()
            began.set()
            await release.wait()
            adapted._transaction = transaction

        async def request() -> None:
            async with database.transaction(uuid.uuid4()):
                pass

        try:
            async with database.transaction() as session:  # the pool's one connection
                adapted = (await session.run_sync(_pooled_connection)).dbapi_connection
            monkeypatch.setattr(type(adapted), "_start_transaction", slow_start)
            task = asyncio.create_task(request())
            await began.wait()
            task.cancel()
            release.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            monkeypatch.undo()
            async with database.transaction() as session:
                pooled = await session.run_sync(_pooled_connection)
                assert not pooled.driver_connection.is_in_transaction()
        finally:
            await database.dispose()


async def _insert_then_fail(database: Database, name: str) -> None:
    async with database.transaction() as session:
        connection = await driver_connection(session)
        await connection.execute("INSERT INTO probe_notes (name) VALUES ($1)", name)
        raise RuntimeError("rolled back")


class TestApplicationRole:
    async def test_is_not_superuser_and_cannot_bypass_rls(
        self, app_conn: asyncpg.Connection
    ) -> None:
        row = await app_conn.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
            "FROM pg_roles WHERE rolname = current_user"
        )
        assert row is not None
        assert dict(row) == {
            "rolsuper": False,
            "rolbypassrls": False,
            "rolcreaterole": False,
            "rolcreatedb": False,
        }

    async def test_cannot_create_tables(self, app_conn: asyncpg.Connection) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute("CREATE TABLE sneaky (id int)")

    async def test_reads_but_cannot_change_the_migration_history(
        self, app_conn: asyncpg.Connection
    ) -> None:
        # `qm api` compares the schema's revision with its code's before it starts.
        assert await app_conn.fetchval("SELECT version_num FROM alembic_version")
        for statement in (
            "UPDATE alembic_version SET version_num = 'x'",
            "DELETE FROM alembic_version",
            "INSERT INTO alembic_version VALUES ('x')",
            "TRUNCATE alembic_version",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app_conn.execute(statement)

    async def test_owner_is_not_superuser_either(self, owner_conn: asyncpg.Connection) -> None:
        row = await owner_conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert row is not None
        assert (row["rolsuper"], row["rolbypassrls"]) == (False, False)


async def test_an_update_that_leaves_updated_at_unchanged_still_reads_it_without_io(
    settings: Settings, client: AsyncClient
) -> None:
    """``updated_at`` has a SQL ``onupdate``; setting it to its current value lets the
    default fire, and without eager defaults the attribute would be expired and a later
    read would need lazy IO (MissingGreenlet under asyncio)."""
    from quartermaster.inventory.models import Warehouse
    from tests.identity.conftest import Identity

    account = await Identity(client).signup("Timestamps")
    tenant_id = uuid.UUID(account.tenant_id)
    database = Database(str(settings.database_url))
    try:
        async with database.transaction(tenant_id) as session:
            warehouse = Warehouse(tenant_id=tenant_id, code="T1", name="Timestamps")
            session.add(warehouse)
            await session.flush()
            warehouse.updated_at = warehouse.updated_at  # "changed" to the same instant
            warehouse.name = "Renamed"
            await session.flush()
            assert warehouse.updated_at is not None  # loaded by RETURNING, no lazy IO
    finally:
        await database.dispose()


async def test_the_pool_recovers_when_the_database_drops_its_connections(
    settings: Settings, services: TestServices, client: AsyncClient
) -> None:
    """Without pre-ping, a connection the server killed fails the one request that gets
    it; the pool is then replaced, so the next request works."""
    from tests.identity.conftest import Identity

    account = await Identity(client).signup("Failover")
    me = "/api/v1/me"
    assert (await client.get(me, headers=account.headers)).status_code == 200
    admin = await asyncpg.connect(plain(services.admin_url))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = $1 AND pid <> pg_backend_pid()",
            make_url(services.app_url).username,
        )
    finally:
        await admin.close()
    assert killed >= 1
    statuses = [(await client.get(me, headers=account.headers)).status_code for _ in range(3)]
    assert statuses[-2:] == [200, 200]
    assert statuses[0] in (200, 500)


async def test_a_committed_transaction_closes_its_session_and_gives_its_connection_back(
    settings: Settings,
) -> None:
    """The commit and the close are one call into SQLAlchemy: both happen."""
    from sqlalchemy import inspect

    from quartermaster.core.events import OutboxEvent, emit

    tenant_id = uuid.uuid4()
    database = Database(str(settings.database_url), pool_size=1, max_overflow=0)
    try:
        async with database.transaction(tenant_id) as session:
            event_id = await emit(session, tenant_id, "test.thing.happened", {"n": 1})
            event = await session.get(OutboxEvent, event_id)
            assert event is not None
            assert database.pool_usage() == (1, 0)
        assert inspect(event).detached  # closed: the session let go of what it loaded
        assert database.pool_usage() == (0, 1)
        async with database.transaction(tenant_id) as session:
            assert await session.get(OutboxEvent, event_id) is not None  # committed
    finally:
        await database.dispose()
