"""Live updates against real servers: PostgreSQL, Redis, a real Uvicorn on a real port and
real WebSocket / HTTP clients. Events are produced by the outbox (``emit``) and published
by a real relay, either inside the server (end to end) or run by the test (to decide
exactly when something is published)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from quartermaster.api import create_app
from quartermaster.core.db import Database
from quartermaster.core.events import emit
from quartermaster.core.relay import OutboxRelay
from quartermaster.core.settings import Settings
from quartermaster.core.streams import stream_key
from quartermaster.realtime.gateway import Gateway
from quartermaster.realtime.public import channel_of
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity

STOCK_MOVED = "inventory.stock.moved"
WAIT = 15.0  # generous upper bound for "it arrives", never a performance assertion


@pytest.fixture
async def redis(services: TestServices) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis_url)
    yield client
    await client.aclose()


def make_relay(settings: Settings, redis: Redis, **options: Any) -> OutboxRelay:
    assert settings.database_owner_url is not None
    return OutboxRelay(settings.database_owner_url, redis, channel_of, **options)


@pytest.fixture
def relay(settings: Settings, redis: Redis) -> OutboxRelay:
    return make_relay(settings, redis)


async def emit_events(
    database: Database,
    tenant_id: uuid.UUID | str,
    count: int = 1,
    *,
    event_type: str = STOCK_MOVED,
    payload: dict[str, Any] | None = None,
) -> list[str]:
    """Commit ``count`` events in one transaction; their ids in id order."""
    tenant = uuid.UUID(str(tenant_id))
    ids = []
    async with database.transaction(tenant) as session:
        for n in range(count):
            body = {"n": n, **(payload or {})}
            ids.append(str(await emit(session, tenant, event_type, body)))
    return ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    app: FastAPI
    http_url: str
    ws_url: str

    @property
    def gateway(self) -> Gateway:
        gateway = self.app.state.gateway
        assert isinstance(gateway, Gateway)
        return gateway


# How live events reach a WebSocket: written by the hub straight to the transport
# (realtime/wire.py), or by the socket's writer through ASGI (the path for any server
# the direct one does not recognise).
DIRECT_PATH = "direct"
ASGI_PATH = "asgi"
PATHS = (DIRECT_PATH, ASGI_PATH)


@asynccontextmanager
async def serve(
    settings: Settings, *, ws: str = "auto", path: str = DIRECT_PATH, **overrides: Any
) -> AsyncIterator[LiveServer]:
    """A separate application instance served by Uvicorn in the test's event loop (``ws``
    picks Uvicorn's WebSocket implementation, ``path`` the gateway's)."""
    app = create_app(settings.model_copy(update=overrides))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, ws=ws)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done():
            task.result()
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    live = LiveServer(app, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/api/v1/ws")
    try:
        await asyncio.wait_for(live.gateway.hub.connected.wait(), WAIT)
        live.gateway.direct_writes = path == DIRECT_PATH
        yield live
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[LiveServer]:
    """A server whose relay is the test's to run (``relay.publish_pending()``)."""
    async with serve(settings) as server:
        yield server


@pytest.fixture(params=PATHS)
async def live_on_both_paths(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[LiveServer]:
    """As ``live``, once with live events written directly and once through ASGI."""
    async with serve(settings, path=request.param) as server:
        yield server


class Socket:
    """A WebSocket client speaking the live protocol."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, body: dict[str, Any] | str) -> None:
        await self.connection.send(body if isinstance(body, str) else json.dumps(body))

    async def next(self, *ops: str) -> dict[str, Any]:
        """The next message (heartbeat pings skipped unless asked for)."""
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), WAIT)
            body: dict[str, Any] = json.loads(raw)
            if body["op"] == "ping" and "ping" not in ops:
                continue
            if ops:
                assert body["op"] in ops, body
            return body

    async def subscribe(
        self, *channels: str, since: dict[str, str] | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"op": "subscribe", "channels": list(channels)}
        if since is not None:
            message["since"] = since
        await self.send(message)
        return await self.next("subscribed")

    async def events(self, count: int) -> list[dict[str, Any]]:
        return [await self.next("event") for _ in range(count)]

    async def closed_with(self) -> int:
        """Read until the server closes the connection; the close code."""
        with pytest.raises(ConnectionClosed) as closed:
            await self._read_forever()
        assert closed.value.rcvd is not None, "closed without a close frame"
        return closed.value.rcvd.code

    async def _read_forever(self) -> None:
        while True:
            await asyncio.wait_for(self.connection.recv(), WAIT)

    async def close(self) -> None:
        await self.connection.close()


@asynccontextmanager
async def open_socket(
    live: LiveServer,
    token: str | None = None,
    *,
    via: str = "subprotocol",
    **options: Any,
) -> AsyncIterator[Socket]:
    url = live.ws_url
    kwargs: dict[str, Any] = {"open_timeout": WAIT, **options}
    if token is not None and via == "subprotocol":
        kwargs["subprotocols"] = ["bearer", token]
    elif token is not None and via == "query":
        url = f"{url}?token={token}"
    elif token is not None:
        kwargs["additional_headers"] = {"Authorization": f"Bearer {token}"}
    async with connect(url, **kwargs) as connection:
        yield Socket(connection)


async def ticket_for(live: LiveServer, token: str) -> str:
    """A one-use ticket for ?token=, bought with an access token or API key."""
    async with httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http:
        response = await http.post(
            "/api/v1/realtime/tickets", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return str(body["ticket"])


def since(event: dict[str, Any]) -> dict[str, str]:
    return {"offset": event["offset"], "epoch": event["epoch"]}


async def stream_length(redis: Redis, tenant_id: uuid.UUID | str) -> int:
    return int(await redis.xlen(stream_key(uuid.UUID(str(tenant_id)))))


def event_ids(events: Iterable[dict[str, Any]]) -> list[str]:
    return [event["event_id"] for event in events]


@pytest.fixture
async def alice(identity: Identity) -> Account:
    return await identity.signup("Alpha")


@pytest.fixture
async def bob(identity: Identity) -> Account:
    return await identity.signup("Beta")
