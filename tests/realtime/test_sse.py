"""Server-Sent Events: the same envelope over ``text/event-stream``, resumed with
``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from quartermaster.core.db import Database
from quartermaster.core.relay import OutboxRelay
from quartermaster.core.settings import Settings
from quartermaster.core.streams import epoch_key, stream_key
from tests.identity.conftest import Account
from tests.realtime.conftest import WAIT, LiveServer, emit_events, serve, ticket_for

pytestmark = pytest.mark.slow

INVENTORY = "inventory:updates"


@dataclass
class SseEvent:
    id: str | None
    data: dict[str, Any]


class EventStream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.comments: list[str] = []
        self.retry: int | None = None

    async def next(self, *ops: str) -> SseEvent:
        return await asyncio.wait_for(self._next(ops), WAIT)

    async def _next(self, ops: tuple[str, ...]) -> SseEvent:
        event_id: str | None = None
        data: list[str] = []
        async for line in self._lines:
            if line == "":
                if data:
                    event = SseEvent(event_id, json.loads("\n".join(data)))
                    if not ops or event.data["op"] in ops:
                        return event
                event_id, data = None, []
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data.append(line[6:])
            elif line.startswith("retry: "):
                self.retry = int(line[7:])
        raise AssertionError("the stream ended")

    async def comment(self) -> str:
        async def read() -> str:
            async for line in self._lines:
                if line.startswith(":"):
                    return line[1:].strip()
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), WAIT)

    async def events(self, count: int) -> list[SseEvent]:
        return [await self.next("event") for _ in range(count)]


@asynccontextmanager
async def open_stream(
    live: LiveServer,
    token: str,
    channels: str = INVENTORY,
    *,
    last_event_id: str | None = None,
    in_query: bool = False,
) -> AsyncIterator[EventStream]:
    headers = {} if in_query else {"Authorization": f"Bearer {token}"}
    params = {"channels": channels}
    if in_query:
        params["token"] = token
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with (
        httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
        http.stream("GET", "/api/v1/events/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)


class TestEventStream:
    async def test_events_arrive_with_resumable_ids_and_last_event_id_resumes_exactly(
        self, live: LiveServer, relay: OutboxRelay, database: Database, alice: Account
    ) -> None:
        async with open_stream(live, alice.access_token) as stream:
            subscribed = await stream.next("subscribed")
            assert subscribed.data["channels"] == [INVENTORY]
            assert subscribed.id == f"{subscribed.data['epoch']}:{subscribed.data['offset']}"
            assert stream.retry is not None
            first = await emit_events(database, alice.tenant_id, 3)
            await relay.publish_pending()
            received = await stream.events(3)
            assert [e.data["event_id"] for e in received] == first
            for event in received:
                assert event.id == f"{event.data['epoch']}:{event.data['offset']}"
                assert event.data["channel"] == INVENTORY
            last_id = received[-1].id

        missed = await emit_events(database, alice.tenant_id, 2)
        await relay.publish_pending()

        async with open_stream(live, alice.access_token, last_event_id=last_id) as stream:
            assert (await stream.next("subscribed")).id == last_id
            assert [e.data["event_id"] for e in await stream.events(2)] == missed
            live_one = await emit_events(database, alice.tenant_id)
            await relay.publish_pending()
            assert [e.data["event_id"] for e in await stream.events(1)] == live_one

    async def test_a_last_event_id_from_a_lost_stream_gets_resync_required(
        self,
        live: LiveServer,
        relay: OutboxRelay,
        database: Database,
        redis: Redis,
        alice: Account,
    ) -> None:
        tenant = uuid.UUID(alice.tenant_id)
        await emit_events(database, tenant)
        await relay.publish_pending()
        async with open_stream(live, alice.access_token) as stream:
            old_id = (await stream.next("subscribed")).id
        await redis.delete(stream_key(tenant), epoch_key(tenant))

        async with open_stream(live, alice.access_token, last_event_id=old_id) as stream:
            await stream.next("subscribed")
            resync = await stream.next("resync_required")
            assert resync.data == {"op": "resync_required", "channel": INVENTORY}
            # Its id moves the client to the new epoch: the next reconnect resumes normally.
            assert resync.id is not None
            assert resync.id.split(":")[0] != (old_id or "").split(":")[0]

    async def test_a_ticket_in_the_query_string_works_for_eventsource(
        self, live: LiveServer, alice: Account
    ) -> None:
        ticket = await ticket_for(live, alice.access_token)
        async with open_stream(
            live, ticket, "inventory:updates,stock:alerts", in_query=True
        ) as stream:
            subscribed = await stream.next("subscribed")
            assert subscribed.data["channels"] == [INVENTORY, "stock:alerts"]
        async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
            reused = await http.get(
                "/api/v1/events/stream", params={"channels": INVENTORY, "token": ticket}
            )
        assert (reused.status_code, reused.json()["code"]) == (401, "invalid-ticket")

    async def test_an_idle_stream_gets_comment_heartbeats(
        self, settings: Settings, alice: Account
    ) -> None:
        async with (
            serve(settings, realtime_heartbeat_seconds=0.2) as live,
            open_stream(live, alice.access_token) as stream,
        ):
            await stream.next("subscribed")
            assert await stream.comment() == "ping"
            assert await stream.comment() == "ping"


class TestRefusals:
    async def test_no_or_a_bad_token_is_401(self, live: LiveServer) -> None:
        async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
            url = "/api/v1/events/stream"
            response = await http.get(url, params={"channels": INVENTORY})
            assert response.status_code == 401
            assert response.json()["code"] == "unauthenticated"
            response = await http.get(url, params={"channels": INVENTORY, "token": "garbage"})
            assert response.status_code == 401
            assert response.json()["code"] == "ticket-required"

    async def test_an_access_token_in_the_query_string_is_refused(
        self, live: LiveServer, alice: Account
    ) -> None:
        async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
            response = await http.get(
                "/api/v1/events/stream",
                params={"channels": INVENTORY, "token": alice.access_token},
            )
        assert response.status_code == 401
        assert response.json()["code"] == "ticket-required"
        assert "Authorization" in response.json()["detail"]

    async def test_unknown_channels_and_malformed_last_event_ids_are_422(
        self, live: LiveServer, alice: Account
    ) -> None:
        headers = {"Authorization": f"Bearer {alice.access_token}"}
        async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
            url = "/api/v1/events/stream"
            response = await http.get(url, params={"channels": "nope:x"}, headers=headers)
            assert response.status_code == 422
            assert response.json()["code"] == "unknown-channel"
            response = await http.get(
                url,
                params={"channels": INVENTORY},
                headers={**headers, "Last-Event-ID": "not-an-id"},
            )
            assert response.status_code == 422
            assert response.json()["code"] == "invalid-last-event-id"
