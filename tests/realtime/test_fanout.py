"""Fan-out to many sockets: events written straight to a live socket's transport (one
frame for every socket), the ASGI path wherever that is not possible, and backpressure
on both."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.core.streams import ZERO, Offset, envelope
from quartermaster.realtime import hub, wire
from quartermaster.realtime.feed import STOP, TRY_AGAIN_LATER, Feed, LiveEvent
from quartermaster.realtime.repository import StreamState
from tests.builders import eventually
from tests.identity.conftest import Account
from tests.realtime.conftest import (
    DIRECT_PATH,
    PATHS,
    WAIT,
    emit_events,
    event_ids,
    make_relay,
    open_socket,
    serve,
)

INVENTORY = "inventory:updates"
TENANT = uuid.UUID("00000000-0000-7000-8000-000000000001")
EPOCH = "e1"


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_a_frame_is_what_the_websockets_library_would_send(size: int) -> None:
    payload = b"x" * size
    expected = WsFrame(Opcode.TEXT, payload).serialize(mask=False)
    assert wire.text_frame(payload) == expected


# --- the feed's choice between writing at once and queueing ------------------------------


class FakeStreams:
    async def state(self, tenant_id: uuid.UUID) -> StreamState:
        return StreamState(epoch=EPOCH, head=ZERO, first=None, trimmed=False)

    async def read_after(self, tenant_id: uuid.UUID, after: Offset, *, count: int) -> list[Any]:
        return []


class FakeDirect:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.writable = True

    def ready(self) -> bool:
        return self.writable

    def write(self, frames: bytes) -> None:
        self.frames.append(frames)

    def send(self, frame: bytes) -> bool:
        if self.writable:
            self.frames.append(frame)
        return self.writable


def live_event(seq: int, *, epoch: str = EPOCH, channel: str = INVENTORY) -> LiveEvent:
    offset = Offset(1, seq)
    text = envelope(
        tenant_id=TENANT,
        channel=channel,
        offset=offset,
        epoch=epoch,
        event_id=str(seq),
        event_type="inventory.stock.moved",
        occurred_at="2026-01-01T00:00:00+00:00",
        data="{}",
    )
    return LiveEvent(TENANT, channel, offset, epoch, text)


@pytest.fixture
async def feed() -> AsyncIterator[tuple[Feed, FakeDirect, list[str]]]:
    """A subscribed feed with a fake direct writer, and a consumer recording what it sent
    the ordinary way."""
    feed = Feed(TENANT, FakeStreams(), queue_size=8)  # type: ignore[arg-type]
    direct = FakeDirect()
    feed.direct = direct  # type: ignore[assignment]
    sent: list[str] = []

    async def consume() -> None:
        while (item := await feed.next_item()) is not STOP:
            async for frame in feed.frames(item):
                sent.append(frame.text)

    consumer = asyncio.create_task(consume())
    feed.subscribe([INVENTORY], None)
    await eventually(lambda: len(sent) == 1, what="the subscription's answer")
    assert '"subscribed"' in sent[0]
    yield feed, direct, sent
    consumer.cancel()


class TestTheFeedWritesOnlyWhenNothingIsAhead:
    async def test_a_live_feed_writes_the_shared_frame(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        event = live_event(1)
        assert live.offer(event)
        assert direct.frames == [event.frame]
        assert direct.frames[0] is event.frame  # built once, whatever the number of sockets
        assert len(sent) == 1

    async def test_a_queued_reply_keeps_its_place_before_later_events(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        live.reply('{"op":"pong"}')
        assert not live.offer(live_event(1))  # queued behind the reply
        await eventually(lambda: len(sent) == 3, what="the reply and the event")
        assert sent[1:] == ['{"op":"pong"}', live_event(1).text]
        assert direct.frames == []
        assert live.offer(live_event(2))  # nothing ahead any more

    async def test_a_socket_that_is_not_writable_gets_its_events_queued(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        direct.writable = False
        assert not live.offer(live_event(1))
        await eventually(lambda: len(sent) == 2, what="the queued event")
        assert sent[1:] == [live_event(1).text]

    async def test_an_event_already_sent_is_not_written_again(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, _ = feed
        assert live.offer(live_event(2))
        assert not live.offer(live_event(2))
        assert not live.offer(live_event(1))
        assert len(direct.frames) == 1

    async def test_a_new_epoch_goes_the_ordinary_way_and_asks_for_a_resync(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        assert not live.offer(live_event(1, epoch="e2"))
        await eventually(lambda: len(sent) == 3, what="the resync and the event")
        assert '"resync_required"' in sent[1]
        assert sent[2] == live_event(1, epoch="e2").text
        assert direct.frames == []

    async def test_an_ended_feed_writes_nothing(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, _ = feed
        live.end(TRY_AGAIN_LATER, "slow")
        assert not live.offer(live_event(1))
        assert direct.frames == []


class TestABacklogGoesOutInOneWritePerSocket:
    """When the hub has fallen behind it offers several events at once (offer_all)."""

    async def test_a_live_feed_gets_the_batch_in_one_write(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, _ = feed
        events = [live_event(n) for n in (1, 2, 3)]
        joined = b"".join(event.frame for event in events)
        assert live.offer_all(events, joined, 0.0) == 3
        assert direct.frames == [joined]

    async def test_events_already_sent_are_left_out_of_the_write(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, _ = feed
        assert live.offer(live_event(2))
        events = [live_event(n) for n in (1, 2, 3)]
        assert live.offer_all(events, b"unused", 0.0) == 1
        assert direct.frames == [live_event(2).frame, live_event(3).frame]

    async def test_an_event_that_needs_the_writer_keeps_its_place_in_the_order(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        events = [live_event(1), live_event(2, epoch="e2"), live_event(3, epoch="e2")]
        assert live.offer_all(events, b"unused", 0.0) == 1
        assert direct.frames == [live_event(1).frame]  # written before the rest queued
        await eventually(lambda: len(sent) == 4, what="the resync and the queued events")
        assert '"resync_required"' in sent[1]
        assert sent[2:] == [events[1].text, events[2].text]

    async def test_a_socket_that_is_not_writable_gets_the_batch_queued(
        self, feed: tuple[Feed, FakeDirect, list[str]]
    ) -> None:
        live, direct, sent = feed
        direct.writable = False
        events = [live_event(n) for n in (1, 2)]
        assert live.offer_all(events, b"unused", 0.0) == 0
        await eventually(lambda: len(sent) == 3, what="the queued batch")
        assert sent[1:] == [event.text for event in events]
        assert direct.frames == []


# --- against a real server ------------------------------------------------------------


class TestPaths:
    @pytest.mark.parametrize("path", PATHS)
    async def test_every_socket_gets_every_event_in_order_on_either_path(
        self,
        path: str,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        writes = spy_on_direct_writes(monkeypatch)
        relay = make_relay(settings, redis, batch_size=4)
        async with (
            serve(settings, path=path) as live,
            open_socket(live, alice.access_token) as one,  # permessage-deflate negotiated
            open_socket(live, alice.access_token, compression=None) as two,
        ):
            for socket in (one, two):
                await socket.subscribe(INVENTORY)
            feeds = live.gateway.hub.feeds()
            assert all((feed.direct is not None) == (path == DIRECT_PATH) for feed in feeds)
            published: list[str] = []
            for _ in range(5):
                published += await emit_events(database, alice.tenant_id, 3)
                await one.send({"op": "ping"})  # a reply among the events
                await relay.publish_pending()
            received = [await one.next("event", "pong") for _ in range(20)]
            assert event_ids(body for body in received if body["op"] == "event") == published
            assert event_ids(await two.events(15)) == published
            # The socket without pings never has anything queued: all 15 go directly (a
            # hub that fell behind on a busy machine joins several into one write, so the
            # events are counted, not the writes; direct frames are never compressed).
            if path == DIRECT_PATH:
                assert 15 <= sum(write.count(b'"op":"event"') for write in writes) <= 30
            else:
                assert writes == []

    async def test_a_hub_that_falls_behind_sends_what_waits_together_in_order(
        self,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(hub, "_BEHIND_MS", -1)  # always "behind": always drain
        writes = spy_on_direct_writes(monkeypatch)
        relay = make_relay(settings, redis, batch_size=50)
        async with serve(settings) as live, open_socket(live, alice.access_token) as socket:
            await socket.subscribe(INVENTORY)
            published = await emit_events(database, alice.tenant_id, 30)
            await relay.publish_pending()  # one pipeline: the messages arrive together
            assert event_ids(await socket.events(30)) == published
        assert 1 <= len(writes) < 30

    @pytest.mark.filterwarnings("ignore::DeprecationWarning")
    @pytest.mark.filterwarnings("ignore:The `websockets` implementation is deprecated")
    async def test_a_server_the_direct_path_does_not_know_keeps_the_asgi_path(
        self,
        settings: Settings,
        database: Database,
        redis: Redis,
        alice: Account,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Uvicorn's legacy ``websockets`` implementation stands for any server other
        than the sans-I/O one (wsproto, another ASGI server)."""
        writes = spy_on_direct_writes(monkeypatch)
        relay = make_relay(settings, redis)
        async with (
            serve(settings, ws="websockets") as live,
            open_socket(live, alice.access_token) as socket,
        ):
            await socket.subscribe(INVENTORY)
            assert live.gateway.direct_writes
            assert [feed.direct for feed in live.gateway.hub.feeds()] == [None]
            published = await emit_events(database, alice.tenant_id, 3)
            await relay.publish_pending()
            assert event_ids(await socket.events(3)) == published
        assert writes == []


def spy_on_direct_writes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every write the direct path makes (one event, or several joined)."""
    writes: list[bytes] = []
    send, write = wire.DirectWriter.send, wire.DirectWriter.write

    def spy_send(self: wire.DirectWriter, frame: bytes) -> bool:
        sent = send(self, frame)
        if sent:
            writes.append(frame)
        return sent

    def spy_write(self: wire.DirectWriter, frames: bytes) -> None:
        writes.append(frames)
        write(self, frames)

    monkeypatch.setattr(wire.DirectWriter, "send", spy_send)
    monkeypatch.setattr(wire.DirectWriter, "write", spy_write)
    return writes


class TestBackpressure:
    @pytest.mark.parametrize("path", PATHS)
    async def test_a_slow_consumer_is_cut_off_with_1013_while_a_fast_one_gets_everything(
        self, path: str, settings: Settings, database: Database, redis: Redis, alice: Account
    ) -> None:
        relay = make_relay(settings, redis, batch_size=50)
        # Incompressible: permessage-deflate would shrink a repetitive payload to nothing.
        blob = base64.b64encode(os.urandom(49152)).decode()
        async with (
            serve(settings, path=path, realtime_queue_size=32) as live,
            open_socket(live, alice.access_token, max_queue=1, max_size=None) as slow,
            open_socket(live, alice.access_token, max_size=None) as fast,
        ):
            await slow.subscribe(INVENTORY)
            await fast.subscribe(INVENTORY)
            received: list[str] = []

            async def read_fast() -> None:
                while True:
                    received.append((await fast.next("event"))["event_id"])

            def slow_consumers() -> float:
                value = live.app.state.metrics.registry.get_sample_value(
                    "qm_realtime_slow_consumers_total", {"transport": "websocket"}
                )
                return value or 0.0

            reader = asyncio.create_task(read_fast())
            published: list[str] = []
            try:
                # The slow socket never reads: its TCP buffers fill, then its queue.
                for _ in range(150):
                    published += await emit_events(
                        database, alice.tenant_id, 8, payload={"blob": blob}
                    )
                    await relay.publish_pending()
                    if slow_consumers() >= 1:
                        break
                assert slow_consumers() == 1, "the slow consumer was never cut off"
                published += await emit_events(database, alice.tenant_id)  # a last one
                await relay.publish_pending()
                for _ in range(int(WAIT / 0.05)):
                    if len(received) >= len(published):
                        break
                    await asyncio.sleep(0.05)
            finally:
                reader.cancel()
            # The fast one got everything, in order, having never waited for the slow one.
            assert received == published
            assert await slow.closed_with() == 1013
