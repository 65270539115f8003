"""Defence in depth in PostgreSQL: every transaction the app starts carries a statement
timeout and an idle-in-transaction timeout (set with the tenant, in the same statement),
the application role has a temp_file_limit, and a client that disconnects cancels its
running query. A request cannot keep a backend busy beyond the statement timeout."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import uvicorn
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text

from quartermaster.api import create_app
from quartermaster.core.db import Database, TransactionLimits, job_limits, request_limits
from quartermaster.core.settings import Settings
from quartermaster.runtime.provision import APP_ROLE_SETTINGS
from tests.builders import API
from tests.conftest import TestServices, plain
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory

WAIT = 60.0  # seconds; generous for a busy machine, never a pass condition
REPORT = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "interval": "day"}


@asynccontextmanager
async def app_with(settings: Settings, **overrides: object) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def movements_locked(services: TestServices) -> AsyncIterator[asyncpg.Connection]:
    """The ledger table locked by another session, so any query of it waits."""
    connection = await asyncpg.connect(plain(services.owner_url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("LOCK TABLE stock_movements IN ACCESS EXCLUSIVE MODE")
        yield connection
        await transaction.rollback()
    finally:
        await connection.close()


async def waiting_report_backends(admin: asyncpg.Connection) -> int:
    """Backends of the application role still running a movement report query."""
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE '%generate_series%' AND pid <> pg_backend_pid()"
        )
    )


async def eventually(check: object, expected: int) -> None:
    deadline = time.monotonic() + WAIT
    while (value := await check()) != expected:  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still {value}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_each_request_transaction_runs_under_the_configured_limits(
    settings: Settings,
) -> None:
    database = Database(
        settings.database_url or "",
        pool_size=1,
        max_overflow=0,
        limits=TransactionLimits.of(statement_timeout=1.5, idle_in_transaction_timeout=7),
    )
    try:
        async with database.transaction(uuid.uuid4()) as session:
            statement = (await session.execute(text("SHOW statement_timeout"))).scalar_one()
            idle = (
                await session.execute(text("SHOW idle_in_transaction_session_timeout"))
            ).scalar_one()
        assert (statement, idle) == ("1500ms", "7s")
        # Transaction-local: the next transaction on the same connection starts clean.
        async with database.transaction() as session:
            after = (await session.execute(text("SHOW statement_timeout"))).scalar_one()
        assert after == APP_ROLE_SETTINGS["statement_timeout"]
    finally:
        await database.dispose()


def test_requests_and_jobs_get_their_own_statement_timeouts(settings: Settings) -> None:
    assert request_limits(settings).statement_timeout_ms == "30000"
    assert job_limits(settings).statement_timeout_ms == "600000"
    assert request_limits(settings).idle_in_transaction_timeout_ms == "60000"


async def test_the_application_role_has_a_temp_file_limit(services: TestServices) -> None:
    admin = await asyncpg.connect(plain(services.admin_url))
    try:
        settings = await admin.fetchval(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE r.rolname = 'qm_app' AND s.setdatabase = 0"
        )
    finally:
        await admin.close()
    assert "temp_file_limit=1GB" in settings


async def test_a_report_stuck_longer_than_the_statement_timeout_is_stopped_with_a_503(
    settings: Settings, services: TestServices
) -> None:
    async with app_with(settings, database_statement_timeout_seconds=0.5) as application:
        transport = ASGITransport(app=application)
        async with AsyncClient(transport=transport, base_url="http://test") as client:
            owner = await Identity(client).signup("Acme")
            inventory = Inventory(client, owner)
            admin = await asyncpg.connect(plain(services.admin_url))
            try:
                async with movements_locked(services):
                    response = await inventory.get("/reports/movements", **REPORT)
                    # The statement was cancelled by PostgreSQL, not left waiting.
                    assert await waiting_report_backends(admin) == 0
            finally:
                await admin.close()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "statement-timeout"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def served(application: FastAPI) -> AsyncIterator[int]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + WAIT
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.mark.slow
async def test_a_client_that_disconnects_cancels_its_running_query(
    app: FastAPI, client: AsyncClient, services: TestServices
) -> None:
    owner = await Identity(client).signup("Acme")
    admin = await asyncpg.connect(plain(services.admin_url))
    try:
        async with served(app) as port, movements_locked(services):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            query = "&".join(f"{k}={v}" for k, v in REPORT.items()).replace(":", "%3A")
            writer.write(
                f"GET {API}/reports/movements?{query} HTTP/1.1\r\nHost: test\r\n"
                f"Authorization: Bearer {owner.access_token}\r\n\r\n".encode()
            )
            await writer.drain()
            # The report's statement waits for the lock, on a backend of its own ...
            await eventually(lambda: waiting_report_backends(admin), 1)
            writer.close()
            await writer.wait_closed()
            # ... and the client's leaving cancels it, long before any timeout.
            await eventually(lambda: waiting_report_backends(admin), 0)
            assert reader.at_eof() or not await reader.read()
        # The app goes on serving with the same pool.
        me = await client.get(f"{API}/me", headers=owner.headers)
        assert me.status_code == 200
    finally:
        await admin.close()
