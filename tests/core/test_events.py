"""The outbox: an event exists exactly when its transaction committed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable

import asyncpg
import pytest

from quartermaster.core.db import Database
from quartermaster.core.events import NOTIFY_CHANNEL, emit, wait_for_wakes
from quartermaster.core.settings import Settings
from tests.builders import WAIT, eventually
from tests.conftest import TestServices, plain


async def _events(services: TestServices, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(plain(services.app_url))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            return await connection.fetch("SELECT type, payload FROM outbox_events ORDER BY id")
    finally:
        await connection.close()


async def test_a_committed_event_is_in_the_outbox_and_wakes_the_relay(
    settings: Settings, services: TestServices
) -> None:
    tenant_id = uuid.uuid4()
    listener = await asyncpg.connect(plain(services.app_url))
    woken: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(
        NOTIFY_CHANNEL, lambda _conn, _pid, channel, _payload: woken.put_nowait(channel)
    )
    database = Database(str(settings.database_url))
    try:
        async with database.transaction(tenant_id) as session:
            event_id = await emit(session, tenant_id, "test.thing.happened", {"n": 1})
            assert woken.empty()  # not before commit
        assert await asyncio.wait_for(woken.get(), timeout=WAIT) == NOTIFY_CHANNEL
        rows = await _events(services, tenant_id)
        assert [(r["type"], r["payload"]) for r in rows] == [("test.thing.happened", '{"n": 1}')]
        assert event_id.version == 7
    finally:
        await listener.close()
        await database.dispose()


async def test_a_rolled_back_event_never_exists_and_wakes_nobody(
    settings: Settings, services: TestServices
) -> None:
    tenant_id = uuid.uuid4()
    listener = await asyncpg.connect(plain(services.app_url))
    woken: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(
        NOTIFY_CHANNEL, lambda _conn, _pid, channel, _payload: woken.put_nowait(channel)
    )
    database = Database(str(settings.database_url))
    try:

        async def failing_change() -> None:
            async with database.transaction(tenant_id) as session:
                await emit(session, tenant_id, "test.thing.happened", {"n": 2})
                raise RuntimeError("the business change failed")

        with pytest.raises(RuntimeError):
            await failing_change()
        # Every wake-up this process scheduled has been sent, and a round trip on the
        # listener delivers any notification sent before it.
        await wait_for_wakes()
        await listener.fetchval("SELECT 1")
        assert woken.empty()
        assert await _events(services, tenant_id) == []
    finally:
        await listener.close()
        await database.dispose()


async def test_the_wake_up_has_its_own_connection_and_closes_it_with_the_engine(
    settings: Settings, services: TestServices
) -> None:
    """A one-connection pool (the CLI's) busy with the next transaction does not hold the
    wake-up back; disposing of the engine closes the wake-up's connection."""
    tenant_id = uuid.uuid4()
    listener = await asyncpg.connect(plain(services.app_url))
    woken: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(
        NOTIFY_CHANNEL, lambda _conn, _pid, channel, _payload: woken.put_nowait(channel)
    )
    database = Database(str(settings.database_url), pool_size=1, max_overflow=0)

    async def wake_connections() -> int:
        count: int = await listener.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'quartermaster-outbox-wake'"
        )
        return count

    try:
        async with database.transaction(tenant_id) as session:
            await emit(session, tenant_id, "test.thing.happened", {"n": 3})
        async with database.transaction(tenant_id):
            # the pool's only connection is this transaction's
            assert await asyncio.wait_for(woken.get(), timeout=WAIT) == NOTIFY_CHANNEL
        assert await wake_connections() == 1
        await database.dispose()
        await eventually(lambda: _none(wake_connections()), what="the wake-up's connection closing")
    finally:
        await listener.close()
        await database.dispose()


async def _none(count: Awaitable[int]) -> bool:
    return await count == 0
