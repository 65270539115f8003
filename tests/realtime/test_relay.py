"""The outbox relay: committed events reach the tenant's stream and the live channel, in an
order a resuming client can rely on, at least once whatever dies when."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections import Counter
from datetime import timedelta

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from quartermaster.core.db import Database
from quartermaster.core.events import emit
from quartermaster.core.relay import OutboxRelay, RelayMisconfigured, prune_published_outbox
from quartermaster.core.settings import Settings
from quartermaster.core.streams import (
    LIVE_CHANNEL,
    Offset,
    StreamEntry,
    epoch_key,
    stream_key,
    trimmed_key,
)
from quartermaster.realtime.public import channel_of
from tests.builders import eventually
from tests.conftest import TEST_SECRET, TestServices, plain
from tests.realtime.conftest import STOCK_MOVED, WAIT, emit_events, make_relay

TENANT = uuid.UUID("0199a000-0000-7000-8000-000000000001")
OTHER = uuid.UUID("0199a000-0000-7000-8000-000000000002")


async def entries(redis: Redis, tenant_id: uuid.UUID) -> list[StreamEntry]:
    raw = await redis.xrange(stream_key(tenant_id), "-", "+")
    return [StreamEntry.from_redis(entry_id, fields) for entry_id, fields in raw]


async def unpublished(owner_conn: asyncpg.Connection) -> int:
    value = await owner_conn.fetchval(
        "SELECT count(*) FROM outbox_events WHERE published_at IS NULL"
    )
    assert isinstance(value, int)
    return value


class TestPublishing:
    async def test_a_committed_event_is_streamed_published_live_and_marked(
        self,
        database: Database,
        redis: Redis,
        relay: OutboxRelay,
        owner_conn: asyncpg.Connection,
    ) -> None:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(LIVE_CHANNEL)
        [event_id] = await emit_events(database, TENANT, payload={"sku": "A-1"})

        assert await relay.publish_pending() == 1

        [entry] = await entries(redis, TENANT)
        assert entry.event_id == event_id
        assert entry.event_type == STOCK_MOVED
        assert entry.channel == "inventory:updates"
        assert json.loads(entry.data) == {"n": 0, "sku": "A-1"}
        epoch = (await redis.get(epoch_key(TENANT))).decode()
        live = None
        for _ in range(50):
            live = await pubsub.get_message(timeout=0.2)
            if live is not None:
                break
        assert live is not None
        envelope = json.loads(live["data"])
        # Live and stream carry the same document, with the offset Redis assigned.
        assert envelope == json.loads(entry.envelope(TENANT, epoch))
        assert envelope["op"] == "event"
        assert envelope["offset"] == str(entry.offset)
        assert envelope["epoch"] == epoch
        assert envelope["tenant_id"] == str(TENANT)
        assert envelope["data"] == {"n": 0, "sku": "A-1"}
        assert await unpublished(owner_conn) == 0
        await pubsub.aclose()

    async def test_a_batch_is_one_pipeline_and_survives_redis_losing_its_scripts(
        self, database: Database, redis: Redis, relay: OutboxRelay
    ) -> None:
        first = await emit_events(database, TENANT, 3)
        await relay.publish_pending()
        await redis.script_flush()  # as after a Redis restart
        second = await emit_events(database, TENANT, 3)
        assert await relay.publish_pending() == 3
        # Each event exactly once, in id order within the batch.
        assert [e.event_id for e in await entries(redis, TENANT)] == first + second

    async def test_each_tenant_has_its_own_stream_and_epoch(
        self, database: Database, redis: Redis, relay: OutboxRelay
    ) -> None:
        mine = await emit_events(database, TENANT, 2)
        theirs = await emit_events(database, OTHER, 3)
        await relay.publish_pending()
        assert [e.event_id for e in await entries(redis, TENANT)] == mine
        assert [e.event_id for e in await entries(redis, OTHER)] == theirs
        assert await redis.get(epoch_key(TENANT)) != await redis.get(epoch_key(OTHER))

    async def test_events_no_channel_carries_are_marked_without_going_to_redis(
        self,
        database: Database,
        redis: Redis,
        relay: OutboxRelay,
        owner_conn: asyncpg.Connection,
    ) -> None:
        await emit_events(database, TENANT, event_type="inventory.warehouse.created")
        assert await relay.publish_pending() == 1
        assert await entries(redis, TENANT) == []
        assert await unpublished(owner_conn) == 0

    async def test_channels_follow_event_types(
        self, database: Database, redis: Redis, relay: OutboxRelay
    ) -> None:
        types = {
            "inventory.stock.moved": "inventory:updates",
            "inventory.reservation.created": "inventory:updates",
            "catalog.price.changed": "price:updates",
            "inventory.alert.raised": "stock:alerts",
            "catalog.product.updated": "catalog:updates",
            "jobs.job.progress": "jobs:updates",
        }
        for event_type in types:
            await emit_events(database, TENANT, event_type=event_type)
        await relay.publish_pending()
        assert {e.event_type: e.channel for e in await entries(redis, TENANT)} == types

    async def test_the_stream_is_trimmed_to_about_maxlen_and_remembers_it_was(
        self, database: Database, redis: Redis, settings: Settings
    ) -> None:
        relay = make_relay(settings, redis, stream_maxlen=10, batch_size=500)
        await emit_events(database, TENANT, 300)
        assert await relay.publish_pending() == 300
        kept = await redis.xlen(stream_key(TENANT))
        assert kept < 300
        first = await redis.xrange(stream_key(TENANT), "-", "+", count=1)
        assert await redis.get(trimmed_key(TENANT)) == first[0][0]


class TestOrdering:
    async def test_offsets_follow_publication_so_resuming_after_one_misses_nothing(
        self, services: TestServices, database: Database, redis: Redis, relay: OutboxRelay
    ) -> None:
        """Event A gets the earlier id but commits after event B. Publishing by commit
        gives B the earlier offset; a client that saw B and resumes after it gets A."""
        slow = await asyncpg.connect(plain(services.app_url))
        try:
            transaction = slow.transaction()
            await transaction.start()
            await slow.execute("SELECT set_config('app.tenant_id', $1, true)", str(TENANT))
            event_a = uuid.UUID(
                "0199a000-0000-7000-8000-00000000000a"
            )  # an id from the past: earlier than anything emit() generates now
            await slow.execute(
                "INSERT INTO outbox_events (id, tenant_id, type, payload) "
                'VALUES ($1, $2, $3, \'{"name": "A"}\')',
                event_a,
                TENANT,
                STOCK_MOVED,
            )
            [event_b] = await emit_events(database, TENANT, payload={"name": "B"})
            assert event_a < uuid.UUID(event_b)

            await relay.publish_pending()  # A is not committed yet: only B
            [seen] = await entries(redis, TENANT)
            assert seen.event_id == event_b

            await transaction.commit()
        finally:
            await slow.close()
        await relay.publish_pending()

        after_b = await redis.xrange(stream_key(TENANT), f"({seen.offset}", "+")
        resumed = [StreamEntry.from_redis(i, f) for i, f in after_b]
        assert [e.event_id for e in resumed] == [str(event_a)]
        assert resumed[0].offset > seen.offset


class TestCrashes:
    async def test_a_relay_that_dies_after_publishing_and_before_marking_loses_nothing(
        self,
        settings: Settings,
        database: Database,
        redis: Redis,
        owner_conn: asyncpg.Connection,
    ) -> None:
        emitted = await emit_events(database, TENANT, 5)
        dying = make_relay(settings, redis, batch_size=3)
        connection = await dying.connect()
        transaction = connection.transaction()
        await transaction.start()
        claimed = await dying.claim(connection)
        await dying.publish(claimed)  # out in Redis …
        connection.terminate()  # … and the process is gone before marking them

        assert await unpublished(owner_conn) == 5
        await make_relay(settings, redis).publish_pending()

        streamed = Counter(e.event_id for e in await entries(redis, TENANT))
        assert set(streamed) == set(emitted)  # nothing lost
        assert sorted(streamed.values()) == [1, 1, 2, 2, 2]  # the 3 claimed went out twice
        assert await unpublished(owner_conn) == 0

    @pytest.mark.slow
    async def test_a_relay_process_killed_mid_stream_loses_nothing(
        self,
        services: TestServices,
        settings: Settings,
        database: Database,
        redis: Redis,
        owner_conn: asyncpg.Connection,
    ) -> None:
        env = {
            **os.environ,
            "QM_DATABASE_URL": services.app_url,
            "QM_DATABASE_OWNER_URL": services.owner_url,
            "QM_REDIS_URL": services.redis_url,
            "QM_SECRET_KEY": TEST_SECRET,
            "QM_RELAY_BATCH_SIZE": "7",
            "QM_LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "quartermaster",
            "relay",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        emitted: list[str] = []
        try:
            # Keep committing while the relay works, and kill it once it is under way.
            for _ in range(400):
                emitted += await emit_events(database, TENANT, 10)
                if await redis.xlen(stream_key(TENANT)) >= 50:
                    break
                await asyncio.sleep(0.05)
            assert await redis.xlen(stream_key(TENANT)) > 0, "the relay never published"
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), WAIT)
            emitted += await emit_events(database, TENANT, 10)  # committed while it is dead
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

        await make_relay(settings, redis).publish_pending()  # its successor

        streamed = {e.event_id for e in await entries(redis, TENANT)}
        assert set(emitted) <= streamed
        assert await unpublished(owner_conn) == 0

    async def test_two_relays_share_the_work_and_each_event_goes_out_once(
        self, settings: Settings, database: Database, redis: Redis
    ) -> None:
        emitted = await emit_events(database, TENANT, 200)
        first = make_relay(settings, redis, batch_size=10)
        second = make_relay(settings, redis, batch_size=10)
        counts = await asyncio.gather(first.publish_pending(), second.publish_pending())
        assert sum(counts) == 200
        streamed = [e.event_id for e in await entries(redis, TENANT)]
        assert sorted(streamed) == sorted(emitted)


class TestRunning:
    async def test_a_running_relay_is_woken_by_a_commit(
        self, settings: Settings, database: Database, redis: Redis
    ) -> None:
        # The poll is far longer than the test waits: only NOTIFY can wake it in time.
        relay = make_relay(settings, redis, poll_interval=600)
        task = asyncio.create_task(relay.run())
        try:
            await eventually(lambda: relay.listening, what="the relay's LISTEN")
            [event_id] = await emit_events(database, TENANT)
            for _ in range(int(WAIT / 0.05)):
                if await redis.xlen(stream_key(TENANT)):
                    break
                await asyncio.sleep(0.05)
            assert [e.event_id for e in await entries(redis, TENANT)] == [event_id]
        finally:
            relay.request_stop()
            await asyncio.wait_for(task, WAIT)

    async def test_a_running_relay_polls_for_rows_nobody_notified_it_about(
        self, settings: Settings, redis: Redis, owner_conn: asyncpg.Connection
    ) -> None:
        relay = make_relay(settings, redis, poll_interval=0.1)
        task = asyncio.create_task(relay.run())
        try:
            async with owner_conn.transaction():
                await owner_conn.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", str(TENANT)
                )
                await owner_conn.execute(
                    "INSERT INTO outbox_events (id, tenant_id, type, payload) "
                    "VALUES ($1, $2, $3, '{}')",
                    uuid.uuid4(),
                    TENANT,
                    STOCK_MOVED,
                )
            for _ in range(int(WAIT / 0.05)):
                if await unpublished(owner_conn) == 0:
                    break
                await asyncio.sleep(0.05)
            assert await unpublished(owner_conn) == 0
        finally:
            relay.request_stop()
            await asyncio.wait_for(task, WAIT)

    async def test_the_relay_refuses_a_role_that_cannot_read_every_tenant(
        self, settings: Settings, redis: Redis
    ) -> None:
        assert settings.database_url is not None
        relay = OutboxRelay(settings.database_url, redis, lambda _: None)
        with pytest.raises(RelayMisconfigured, match="QM_DATABASE_OWNER_URL"):
            await relay.connect()


class TestTheRelayPoliciesOpenOnlyTheOutboxToTheOwner:
    async def test_the_policies_name_the_owner_and_nothing_else(
        self, owner_conn: asyncpg.Connection
    ) -> None:
        owner = await owner_conn.fetchval("SELECT current_user")
        rows = await owner_conn.fetch(
            "SELECT tablename, policyname, roles, cmd FROM pg_policies "
            "WHERE policyname LIKE 'outbox_relay_%' ORDER BY policyname"
        )
        assert [(r["tablename"], r["policyname"], list(r["roles"]), r["cmd"]) for r in rows] == [
            ("outbox_events", "outbox_relay_delete", [owner], "DELETE"),
            ("outbox_events", "outbox_relay_select", [owner], "SELECT"),
            ("outbox_events", "outbox_relay_update", [owner], "UPDATE"),
        ]

    async def test_the_owner_sees_every_tenants_events_and_the_app_role_none(
        self,
        database: Database,
        owner_conn: asyncpg.Connection,
        app_conn: asyncpg.Connection,
    ) -> None:
        await emit_events(database, TENANT, 2)
        await emit_events(database, OTHER, 3)
        assert await owner_conn.fetchval("SELECT count(*) FROM outbox_events") == 5
        assert await app_conn.fetchval("SELECT count(*) FROM outbox_events") == 0
        async with app_conn.transaction():
            await app_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(TENANT))
            assert await app_conn.fetchval("SELECT count(*) FROM outbox_events") == 2

    async def test_the_owner_still_cannot_insert_an_event_outside_the_tenant_in_scope(
        self, owner_conn: asyncpg.Connection
    ) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await owner_conn.execute(
                "INSERT INTO outbox_events (id, tenant_id, type, payload) "
                "VALUES ($1, $2, 'x.y.z', '{}')",
                uuid.uuid4(),
                TENANT,
            )


class TestADedicatedRelayRole:
    async def test_the_operations_recipe_for_a_relay_role_without_ddl_works(
        self,
        services: TestServices,
        settings: Settings,
        database: Database,
        redis: Redis,
        owner_conn: asyncpg.Connection,
    ) -> None:
        """docs/operations.md: a role that may only read and mark the outbox, with its own
        policies, instead of the owner."""
        database_name = make_url(services.owner_url).database
        admin = await asyncpg.connect(
            plain(
                make_url(services.admin_url)
                .set(database=database_name)
                .render_as_string(hide_password=False)
            )
        )
        policies = ("outbox_relay_select_qm_relay", "outbox_relay_update_qm_relay")
        try:
            await admin.execute("DROP ROLE IF EXISTS qm_test_relay")
            await admin.execute(
                "CREATE ROLE qm_test_relay LOGIN PASSWORD 'relay-pw' NOSUPERUSER NOBYPASSRLS"
            )
            await owner_conn.execute(
                f'GRANT CONNECT ON DATABASE "{database_name}" TO qm_test_relay'
            )
            await owner_conn.execute("GRANT USAGE ON SCHEMA public TO qm_test_relay")
            await owner_conn.execute(
                "GRANT SELECT, UPDATE (published_at) ON outbox_events TO qm_test_relay"
            )
            await owner_conn.execute(
                f"CREATE POLICY {policies[0]} ON outbox_events FOR SELECT TO qm_test_relay "
                "USING (true)"
            )
            url = (
                make_url(services.owner_url)
                .set(username="qm_test_relay", password="relay-pw")
                .render_as_string(hide_password=False)
            )
            relay = OutboxRelay(url, redis, channel_of)
            with pytest.raises(RelayMisconfigured):  # reading alone is not enough
                await relay.connect()
            await owner_conn.execute(
                f"CREATE POLICY {policies[1]} ON outbox_events FOR UPDATE TO qm_test_relay "
                "USING (true) WITH CHECK (true)"
            )
            emitted = await emit_events(database, TENANT, 2) + await emit_events(database, OTHER)
            assert await relay.publish_pending() == 3
            assert await unpublished(owner_conn) == 0
            streamed = [e.event_id for t in (TENANT, OTHER) for e in await entries(redis, t)]
            assert sorted(streamed) == sorted(emitted)
        finally:
            for policy in policies:
                await owner_conn.execute(f"DROP POLICY IF EXISTS {policy} ON outbox_events")
            if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'qm_test_relay'"):
                await admin.execute("DROP OWNED BY qm_test_relay")  # and its grants
            await admin.execute("DROP ROLE IF EXISTS qm_test_relay")
            await admin.close()


class TestRetention:
    async def test_only_published_rows_older_than_the_retention_are_pruned(
        self,
        settings: Settings,
        database: Database,
        relay: OutboxRelay,
        owner_conn: asyncpg.Connection,
    ) -> None:
        await emit_events(database, TENANT, 3)
        await relay.publish_pending()
        [kept] = await emit_events(database, OTHER, 1)  # not published yet
        assert settings.database_owner_url is not None
        owner = Database(settings.database_owner_url, pool_size=1, max_overflow=0)
        try:
            assert await prune_published_outbox(owner, timedelta(hours=1)) == 0
            assert await prune_published_outbox(owner, timedelta(0), batch_size=2) == 3
        finally:
            await owner.dispose()
        rows = await owner_conn.fetch("SELECT id, published_at FROM outbox_events")
        assert [(str(r["id"]), r["published_at"]) for r in rows] == [(kept, None)]


async def test_emit_ids_are_the_events_stable_ids(
    database: Database, redis: Redis, relay: OutboxRelay
) -> None:
    async with database.transaction(TENANT) as session:
        event_id = await emit(session, TENANT, STOCK_MOVED, {"x": 1})
    await relay.publish_pending()
    [entry] = await entries(redis, TENANT)
    assert entry.event_id == str(event_id)
    assert Offset.parse(str(entry.offset)) == entry.offset
