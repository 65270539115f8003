"""The WebSocket gateway, against a real server: live delivery, tenant isolation, resume
without gaps or duplicates, resync, backpressure, authentication and the protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from quartermaster.core.db import Database
from quartermaster.core.relay import OutboxRelay
from quartermaster.core.settings import Settings
from quartermaster.core.streams import epoch_key, stream_key
from quartermaster.identity.permissions import Permission, Role
from quartermaster.identity.principal import Principal
from quartermaster.identity.tokens import issue_access_token
from quartermaster.realtime.channels import CHANNELS, Channel, refuse_channels
from tests.builders import eventually, problem
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity
from tests.inventory.conftest import Inventory
from tests.realtime.conftest import (
    STOCK_MOVED,
    WAIT,
    LiveServer,
    emit_events,
    event_ids,
    make_relay,
    open_socket,
    serve,
    since,
    stream_length,
    ticket_for,
)

pytestmark = pytest.mark.slow

INVENTORY = "inventory:updates"


class TestLiveDelivery:
    async def test_a_stock_movement_reaches_a_subscribed_socket(
        self, settings: Settings, alice: Account
    ) -> None:
        """End to end: POST /stock/movements on a real server → outbox → the server's own
        relay (woken by NOTIFY) → Redis → the gateway → a real WebSocket client."""
        async with (
            serve(settings, run_relay=True, relay_poll_interval_seconds=5.0) as live,
            httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
            open_socket(live, alice.access_token) as socket,
        ):
            subscribed = await socket.subscribe(INVENTORY, "stock:alerts")
            assert subscribed["channels"] == [INVENTORY, "stock:alerts"]
            inventory = Inventory(http, alice)
            location = (await inventory.warehouse("MAIN"))["default_location_id"]
            product = (await inventory.product(sku="LIVE-1"))["id"]

            moved = await inventory.receive(product, location, "12")

            event = await socket.next("event")
            assert event["channel"] == INVENTORY
            assert event["type"] == STOCK_MOVED
            assert event["epoch"] == subscribed["epoch"]
            assert event["data"]["batch_id"] == moved["id"]
            assert event["data"]["lines"][0]["product_id"] == product
            assert event["data"]["levels"][0]["on_hand"] == "12"
            assert set(event) == {
                "op",
                "tenant_id",
                "channel",
                "offset",
                "epoch",
                "event_id",
                "type",
                "occurred_at",
                "data",
            }

    async def test_two_tenants_never_see_each_others_events(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        alice: Account,
        bob: Account,
    ) -> None:
        async with (
            open_socket(live, alice.access_token) as alices,
            open_socket(live, bob.access_token) as bobs,
        ):
            await alices.subscribe(INVENTORY)
            await bobs.subscribe(INVENTORY)
            for_alice = await emit_events(database, alice.tenant_id, 3)
            for_bob = await emit_events(database, bob.tenant_id, 2)
            await relay.publish_pending()
            marker_a = await emit_events(database, alice.tenant_id)
            marker_b = await emit_events(database, bob.tenant_id)
            await relay.publish_pending()

            assert event_ids(await alices.events(4)) == for_alice + marker_a
            assert event_ids(await bobs.events(3)) == for_bob + marker_b

        # Resuming from the very start of the stream gives only one's own, too.
        async with open_socket(live, bob.access_token) as bobs:
            epoch = (await bobs.subscribe(INVENTORY))["epoch"]
        async with open_socket(live, bob.access_token) as bobs:
            await bobs.subscribe(INVENTORY, since={"offset": "0-0", "epoch": epoch})
            replayed = await bobs.events(3)
            assert {e["tenant_id"] for e in replayed} == {bob.tenant_id}
            assert event_ids(replayed) == for_bob + marker_b


class TestResume:
    async def test_a_reconnect_with_the_last_offset_receives_exactly_what_was_missed(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            seen = await emit_events(database, alice.tenant_id, 5)
            await relay.publish_pending()
            received = await socket.events(5)
            assert event_ids(received) == seen
            last = received[-1]

        missed = await emit_events(database, alice.tenant_id, 7)
        await relay.publish_pending()
        assert await stream_length(redis, alice.tenant_id) == 12

        async with open_socket(live, alice.access_token) as socket:
            subscribed = await socket.subscribe(INVENTORY, since=since(last))
            assert subscribed["offset"] == last["offset"]
            assert event_ids(await socket.events(7)) == missed
            # … and nothing twice: the next event is the next one published.
            after = await emit_events(database, alice.tenant_id)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == after

    async def test_resuming_while_events_keep_coming_has_no_gap_and_no_duplicate(
        self,
        live_on_both_paths: LiveServer,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        """The backlog is read while new events are published live: the socket must join
        them exactly once, in offset order."""
        live = live_on_both_paths
        relay = make_relay(settings, redis, batch_size=3)
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            first = await emit_events(database, alice.tenant_id, 1)
            await relay.publish_pending()
            [last] = await socket.events(1)
        backlog = await emit_events(database, alice.tenant_id, 40)
        await relay.publish_pending()

        stop = asyncio.Event()
        produced: list[str] = []

        async def keep_publishing() -> None:
            while not stop.is_set():
                produced.extend(await emit_events(database, alice.tenant_id, 2))
                await relay.publish_pending()

        producer = asyncio.create_task(keep_publishing())
        try:
            async with open_socket(live, alice.access_token) as socket:
                await socket.send(
                    {"op": "subscribe", "channels": [INVENTORY], "since": since(last)}
                )
                # The live tail grows during the replay: wait for more events to go out.
                grown = len(produced) + 20
                await eventually(lambda: len(produced) >= grown, what="more live events")
                stop.set()
                await producer
                expected = backlog + produced
                await socket.next("subscribed")
                received = await socket.events(len(expected))
                assert event_ids(received) == expected
                offsets = [tuple(map(int, e["offset"].split("-"))) for e in received]
                assert offsets == sorted(offsets)
                tail = await emit_events(database, alice.tenant_id)
                await relay.publish_pending()
                assert event_ids(await socket.events(1)) == tail
        finally:
            stop.set()
            await producer
        assert first[0] not in produced

    async def test_events_committed_out_of_id_order_all_reach_a_resuming_client(
        self,
        services: TestServices,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        alice: Account,
    ) -> None:
        """A (earlier id) is held open while B commits and is delivered; the client
        disconnects; A commits; resuming after B's offset yields A."""
        tenant = uuid.UUID(alice.tenant_id)
        slow = await asyncpg.connect(plain(services.app_url))
        try:
            transaction = slow.transaction()
            await transaction.start()
            await slow.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            event_a = uuid.UUID("0199a000-0000-7000-8000-0000000000aa")
            await slow.execute(
                "INSERT INTO outbox_events (id, tenant_id, type, payload) "
                'VALUES ($1, $2, $3, \'{"name": "A"}\')',
                event_a,
                tenant,
                STOCK_MOVED,
            )
            async with open_socket(live, alice.access_token) as socket:
                await socket.subscribe(INVENTORY)
                event_b = await emit_events(database, tenant, payload={"name": "B"})
                assert event_a < uuid.UUID(event_b[0])
                await relay.publish_pending()
                [seen_b] = await socket.events(1)
                assert event_ids([seen_b]) == event_b
            await transaction.commit()
        finally:
            await slow.close()
        await relay.publish_pending()

        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY, since=since(seen_b))
            [resumed] = await socket.events(1)
            assert resumed["event_id"] == str(event_a)
            assert resumed["data"] == {"name": "A"}

    async def test_an_offset_older_than_the_stream_keeps_requires_a_resync(
        self,
        live: LiveServer,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        async with open_socket(live, alice.access_token) as socket:
            subscribed = await socket.subscribe(INVENTORY, "stock:alerts")
        await emit_events(database, alice.tenant_id, 300)
        await make_relay(settings, redis, stream_maxlen=10, batch_size=500).publish_pending()
        assert await stream_length(redis, alice.tenant_id) < 300

        position = {"offset": subscribed["offset"], "epoch": subscribed["epoch"]}
        async with open_socket(live, alice.access_token) as socket:
            again = await socket.subscribe(INVENTORY, "stock:alerts", since=position)
            assert again["epoch"] == subscribed["epoch"]
            resyncs = [await socket.next("resync_required") for _ in range(2)]
            assert {r["channel"] for r in resyncs} == {INVENTORY, "stock:alerts"}
            # From the head on, it is live as usual.
            fresh = await emit_events(database, alice.tenant_id)
            await make_relay(settings, redis).publish_pending()
            assert event_ids(await socket.events(1)) == fresh

    async def test_an_offset_still_in_a_trimmed_stream_resumes_normally(
        self,
        live: LiveServer,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        ids = await emit_events(database, alice.tenant_id, 300)
        await make_relay(settings, redis, stream_maxlen=10, batch_size=500).publish_pending()
        kept = await redis.xrange(stream_key(uuid.UUID(alice.tenant_id)), "-", "+")
        epoch = (await redis.get(epoch_key(uuid.UUID(alice.tenant_id)))).decode()
        middle = kept[len(kept) // 2][0].decode()
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY, since={"offset": middle, "epoch": epoch})
            rest = len(kept) - len(kept) // 2 - 1
            assert event_ids(await socket.events(rest)) == ids[-rest:]

    async def test_a_changed_epoch_requires_a_resync(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        tenant = uuid.UUID(alice.tenant_id)
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            await emit_events(database, tenant, 2)
            await relay.publish_pending()
            old = (await socket.events(2))[-1]

        # Redis lost everything (restart without persistence): stream and epoch are gone.
        await redis.delete(stream_key(tenant), epoch_key(tenant))
        after_loss = await emit_events(database, tenant)
        await relay.publish_pending()

        async with open_socket(live, alice.access_token) as socket:
            subscribed = await socket.subscribe(INVENTORY, since=since(old))
            assert subscribed["epoch"] != old["epoch"]
            resync = await socket.next("resync_required")
            assert resync == {"op": "resync_required", "channel": INVENTORY}
            later = await emit_events(database, tenant)
            await relay.publish_pending()
            [event] = await socket.events(1)
            assert event_ids([event]) == later
            assert event["epoch"] == subscribed["epoch"]
        assert after_loss != later

    async def test_a_connected_socket_is_told_to_resync_when_the_epoch_changes(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        tenant = uuid.UUID(alice.tenant_id)
        async with open_socket(live, alice.access_token) as socket:
            subscribed = await socket.subscribe(INVENTORY)
            await redis.delete(stream_key(tenant), epoch_key(tenant))
            new = await emit_events(database, tenant)
            await relay.publish_pending()
            assert await socket.next("resync_required") == {
                "op": "resync_required",
                "channel": INVENTORY,
            }
            [event] = await socket.events(1)
            assert event_ids([event]) == new
            assert event["epoch"] != subscribed["epoch"]

    async def test_a_lost_live_subscription_is_caught_up_from_the_stream(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        """Messages published while the hub's Redis subscription is down are not queued by
        Redis; after reconnecting, the feeds catch up from the streams."""
        tenant = uuid.UUID(alice.tenant_id)
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            before = await emit_events(database, tenant)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == before
            # An event that reached the stream but whose live message nobody here got.
            epoch = (await redis.get(epoch_key(tenant))).decode()
            lost_id = str(uuid.uuid4())
            await redis.xadd(
                stream_key(tenant),
                {
                    "event_id": lost_id,
                    "type": STOCK_MOVED,
                    "occurred_at": "2026-11-23T17:00:00+00:00",
                    "channel": INVENTORY,
                    "data": '{"lost": true}',
                },
            )
            connections = live.gateway.hub.connections
            await redis.client_kill_filter(_type="pubsub")
            [caught_up] = await socket.events(1)
            assert caught_up["event_id"] == lost_id
            assert caught_up["epoch"] == epoch
            assert caught_up["data"] == {"lost": True}
            assert live.gateway.hub.connections > connections
            after = await emit_events(database, tenant)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == after


class TestAuthentication:
    async def test_an_access_token_as_subprotocol_or_header_is_accepted(
        self, live: LiveServer, alice: Account
    ) -> None:
        for via in ("subprotocol", "header"):
            async with open_socket(live, alice.access_token, via=via) as socket:
                assert (await socket.subscribe(INVENTORY))["channels"] == [INVENTORY]
                if via == "subprotocol":
                    assert socket.connection.subprotocol == "bearer"

    async def test_an_access_token_or_api_key_in_the_url_is_refused(
        self, live: LiveServer, identity: Identity, alice: Account
    ) -> None:
        key = (await identity.api_key(alice, "viewer"))["key"]
        for token in (alice.access_token, key):
            async with open_socket(live, token, via="query") as socket:
                assert await socket.closed_with() == 4401

    async def test_a_ticket_in_the_url_opens_one_socket_once(
        self, live: LiveServer, alice: Account
    ) -> None:
        ticket = await ticket_for(live, alice.access_token)
        async with open_socket(live, ticket, via="query") as socket:
            assert (await socket.subscribe(INVENTORY))["channels"] == [INVENTORY]
        async with open_socket(live, ticket, via="query") as again:
            assert await again.closed_with() == 4401

    async def test_a_ticket_bought_with_an_api_key_acts_as_the_key(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        identity: Identity,
        alice: Account,
    ) -> None:
        key = (await identity.api_key(alice, "viewer"))["key"]
        ticket = await ticket_for(live, key)
        async with open_socket(live, ticket, via="query") as socket:
            await socket.subscribe(INVENTORY)
            ids = await emit_events(database, alice.tenant_id)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == ids

    async def test_a_ticket_of_a_member_removed_meanwhile_is_refused(
        self, live: LiveServer, identity: Identity, alice: Account, client: httpx.AsyncClient
    ) -> None:
        staff = await identity.member(alice, "staff")
        ticket = await ticket_for(live, staff.access_token)
        removed = await client.delete(f"/api/v1/users/{staff.user_id}", headers=alice.headers)
        assert removed.status_code == 204

        async with open_socket(live, ticket, via="query") as socket:
            assert await socket.closed_with() == 4401

    async def test_tickets_are_short_lived_stored_as_digests_and_buy_nothing(
        self, live: LiveServer, alice: Account, redis: Redis, settings: Settings
    ) -> None:
        ticket = await ticket_for(live, alice.access_token)
        keys = [key async for key in redis.scan_iter("qm:realtime-ticket:*")]
        assert len(keys) == 1
        assert ticket.encode() not in keys[0]
        assert alice.access_token.encode() not in await redis.get(keys[0])
        assert 0 < await redis.ttl(keys[0]) <= settings.realtime_ticket_seconds <= 60
        async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
            chained = await http.post(
                "/api/v1/realtime/tickets", headers={"Authorization": f"Bearer {ticket}"}
            )
            anonymous = await http.post("/api/v1/realtime/tickets")
        assert (chained.status_code, chained.json()["code"]) == (401, "ticket-not-accepted")
        problem(anonymous, 401, "unauthenticated")

    async def test_a_ticket_in_the_query_string_never_reaches_the_logs(
        self, live: LiveServer, alice: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        ticket = await ticket_for(live, alice.access_token)
        with caplog.at_level(logging.INFO, logger="uvicorn.error"):
            async with open_socket(live, ticket, via="query") as socket:
                await socket.subscribe(INVENTORY)
        assert "token=[redacted]" in caplog.text
        assert ticket not in caplog.text

    async def test_an_api_key_is_accepted(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        identity: Identity,
        alice: Account,
    ) -> None:
        key = (await identity.api_key(alice, "viewer"))["key"]
        async with open_socket(live, key) as socket:
            await socket.subscribe(INVENTORY)
            ids = await emit_events(database, alice.tenant_id)
            await relay.publish_pending()
            assert event_ids(await socket.events(1)) == ids

    @pytest.mark.parametrize("token", [None, "not-a-token", "qm_" + "0" * 128])
    async def test_a_missing_or_invalid_token_is_closed_with_4401(
        self, live: LiveServer, token: str | None
    ) -> None:
        async with open_socket(live, token, via="query") as socket:
            assert await socket.closed_with() == 4401

    async def test_an_expired_token_is_closed_with_4401(
        self, live: LiveServer, settings: Settings, alice: Account
    ) -> None:
        expired = issue_access_token(
            settings.secret_key.get_secret_value(),
            user_id=uuid.UUID(alice.user_id),
            email=alice.email,
            tenant_id=uuid.UUID(alice.tenant_id),
            role=Role.OWNER,
            ttl=timedelta(seconds=-1),
        )
        async with open_socket(live, expired) as socket:
            assert await socket.closed_with() == 4401

    async def test_a_socket_closes_with_4401_when_its_token_expires(
        self, live: LiveServer, settings: Settings, alice: Account
    ) -> None:
        short = issue_access_token(
            settings.secret_key.get_secret_value(),
            user_id=uuid.UUID(alice.user_id),
            email=alice.email,
            tenant_id=uuid.UUID(alice.tenant_id),
            role=Role.OWNER,
            ttl=timedelta(seconds=2),
        )
        async with open_socket(live, short) as socket:
            # On a slow machine the 2 s may be over before the subscription is sent: the
            # close is what the test waits for, whenever it comes.
            with contextlib.suppress(ConnectionClosed):
                await socket.subscribe(INVENTORY)
            assert await socket.closed_with() == 4401

    async def test_a_refused_handshake_still_selects_the_offered_subprotocol(
        self, live: LiveServer
    ) -> None:
        # Browsers fail a connection whose server ignores the offered subprotocol, and
        # would then never see the 4401.
        async with connect(
            live.ws_url, subprotocols=[Subprotocol("bearer"), Subprotocol("garbage")]
        ) as connection:
            assert connection.subprotocol == "bearer"
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(connection.recv(), WAIT)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401


class TestProtocol:
    async def test_bad_messages_get_an_error_and_the_socket_stays_usable(
        self, live: LiveServer, alice: Account
    ) -> None:
        async with open_socket(live, alice.access_token) as socket:
            bad: list[Any] = [
                "not json",
                {"channels": [INVENTORY]},
                {"op": "dance"},
                {"op": "subscribe"},
                {"op": "subscribe", "channels": []},
                {"op": "subscribe", "channels": [INVENTORY], "since": {"offset": "x"}},
                {"op": "subscribe", "channels": [INVENTORY], "extra": 1},
                {"op": "subscribe", "channels": ["nope:channel"]},
                {"op": "unsubscribe", "channels": ["nope:channel"]},
            ]
            for message in bad:
                await socket.send(message)
                error = await socket.next("error")
                assert error["detail"], message
            await socket.connection.send(b"\x00binary")
            assert "text" in (await socket.next("error"))["detail"]
            unknown = await _error_for(socket, {"op": "subscribe", "channels": ["nope:x"]})
            assert "unknown channel" in unknown
            assert "inventory:updates" in unknown
            await socket.send({"op": "ping"})
            assert await socket.next() == {"op": "pong"}
            assert (await socket.subscribe(INVENTORY))["channels"] == [INVENTORY]

    async def test_unsubscribing_stops_the_channel(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        alice: Account,
    ) -> None:
        async with open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY, "catalog:updates")
            await socket.send({"op": "unsubscribe", "channels": [INVENTORY]})
            assert await socket.next() == {"op": "unsubscribed", "channels": [INVENTORY]}
            await emit_events(database, alice.tenant_id, 2)  # inventory: not wanted now
            product = await emit_events(
                database, alice.tenant_id, event_type="catalog.product.updated"
            )
            await relay.publish_pending()
            [event] = await socket.events(1)
            assert event_ids([event]) == product
            assert event["channel"] == "catalog:updates"

    async def test_an_idle_socket_gets_heartbeats(self, settings: Settings, alice: Account) -> None:
        async with (
            serve(settings, realtime_heartbeat_seconds=0.2) as live,
            open_socket(live, alice.access_token) as socket,
        ):
            await socket.subscribe(INVENTORY)
            assert await socket.next("ping") == {"op": "ping"}
            await socket.send({"op": "pong"})  # answering is allowed, and ignored
            assert await socket.next("ping") == {"op": "ping"}

    async def test_a_viewer_may_read_every_channel(
        self, live: LiveServer, identity: Identity, alice: Account
    ) -> None:
        viewer = await identity.member(alice, "viewer")
        names = [channel.name for channel in CHANNELS]
        async with open_socket(live, viewer.access_token) as socket:
            assert (await socket.subscribe(*names))["channels"] == names


def test_a_channel_needs_its_permission() -> None:
    audit = Channel("audit:events", ("identity.audit.*",), Permission.AUDIT_READ)
    table = (*CHANNELS, audit)

    def principal(role: Role) -> Principal:
        return Principal("user", uuid.uuid4(), uuid.uuid4(), role, "someone")

    refusal = refuse_channels(principal(Role.VIEWER), [INVENTORY, "audit:events"], table)
    assert refusal is not None
    assert refusal.forbidden == ("audit:events",)
    assert refusal.unknown == ()
    assert "may not read: audit:events" in refusal.detail
    assert refuse_channels(principal(Role.ADMIN), [INVENTORY, "audit:events"], table) is None
    unknown = refuse_channels(principal(Role.OWNER), ["nope"], table)
    assert unknown is not None
    assert unknown.unknown == ("nope",)


async def _error_for(socket: Any, message: dict[str, Any]) -> str:
    await socket.send(message)
    detail: str = (await socket.next("error"))["detail"]
    return detail
