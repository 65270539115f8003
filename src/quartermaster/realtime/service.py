"""Live connections: a WebSocket session and a Server-Sent Events stream over one feed.

A WebSocket runs two tasks: the reader applies the client's messages to the feed at once
(subscribe, unsubscribe, ping), the writer sends the feed's frames in order (while the
feed is live, the hub writes events to the socket itself: see feed.py and wire.py). The session
ends when the client leaves, the feed ends (slow consumer 1013, shutdown 1001, token
expiry 4401) or the writer fails (1011).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import structlog
from starlette.websockets import WebSocket

from quartermaster.core.clock import utcnow
from quartermaster.identity.public import Credential, Principal
from quartermaster.realtime.channels import refuse_channels
from quartermaster.realtime.feed import (
    HEARTBEAT,
    INTERNAL_ERROR,
    STOP,
    TOKEN_EXPIRED,
    Feed,
    Frame,
    LiveEvent,
)
from quartermaster.realtime.gateway import Gateway, Transport
from quartermaster.realtime.schemas import (
    PING,
    PONG,
    BadMessage,
    Ping,
    Since,
    Subscribe,
    Unsubscribe,
    message,
    parse_client_message,
)
from quartermaster.realtime.wire import direct_writer

log = structlog.stdlib.get_logger(__name__)

CLOSE_TIMEOUT = 5.0
REFUSED = 4401


def apply_client_message(feed: Feed, principal: Principal, text: str) -> None:
    """One client message, applied to the feed without waiting: bad input is answered
    with an error message, never by dropping the connection."""
    try:
        parsed = parse_client_message(text)
    except BadMessage as exc:
        feed.reply(message("error", detail=str(exc)))
        return
    if isinstance(parsed, Subscribe):
        refusal = refuse_channels(principal, parsed.channels)
        if refusal is not None:
            feed.reply(message("error", detail=f"not subscribed: {refusal.detail}"))
            return
        feed.subscribe(parsed.channels, parsed.since)
    elif isinstance(parsed, Unsubscribe):
        refusal = refuse_channels(principal, parsed.channels)
        if refusal is not None and refusal.unknown:
            feed.reply(message("error", detail=refusal.detail))
            return
        feed.unsubscribe(parsed.channels)
    elif isinstance(parsed, Ping):
        feed.reply(PONG)
    # Pong: the client answering a heartbeat; nothing to do.


def _expire_at(feed: Feed, expires_at: datetime | None) -> asyncio.TimerHandle | None:
    """End the feed when the access token expires, as a REST call would then be refused;
    the client reconnects with a fresh token and resumes from its offset."""
    if expires_at is None:
        return None
    delay = max((expires_at - utcnow()).total_seconds(), 0.0)
    return asyncio.get_running_loop().call_later(
        delay, feed.end, TOKEN_EXPIRED, "the access token expired"
    )


async def serve_socket(websocket: WebSocket, gateway: Gateway, credential: Credential) -> None:
    """Run one accepted WebSocket until it ends, then close it with the reason's code."""
    transport: Transport = "websocket"
    feed = gateway.open_feed(credential.principal.tenant_id, transport)
    if gateway.direct_writes:
        feed.direct = direct_writer(websocket)
    expiry = _expire_at(feed, credential.expires_at)
    reader = asyncio.create_task(_read(websocket, feed, credential.principal))
    writer = asyncio.create_task(_write(websocket, feed, gateway))
    ended = asyncio.create_task(feed.ended.wait())
    try:
        try:
            await asyncio.wait({reader, writer, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer, ended):
                task.cancel()
            await asyncio.gather(reader, writer, ended, return_exceptions=True)
            if expiry is not None:
                expiry.cancel()
            gateway.close_feed(feed, transport)
        code: int | None = None
        reason = ""
        if feed.end_code is not None:
            code, reason = feed.end_code, feed.end_reason
        elif writer.done() and not writer.cancelled() and writer.exception() is not None:
            log.error("live_socket_failed", error=repr(writer.exception()))
            code, reason = INTERNAL_ERROR, "internal error; reconnect and resume"
        if code is not None:
            await close_socket(websocket, code, reason)
    finally:
        # Only now: a shutdown waits for the close frames (1001), not just the feeds.
        gateway.connection_ended()


async def close_socket(websocket: WebSocket, code: int, reason: str) -> None:
    # A client that stopped reading may never let the close frame through; do not wait
    # for it forever.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code, reason[:120]), CLOSE_TIMEOUT)


async def _read(websocket: WebSocket, feed: Feed, principal: Principal) -> None:
    while True:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            return
        text = received.get("text")
        if text is None:
            feed.reply(message("error", detail="send JSON text messages, not binary ones"))
            continue
        apply_client_message(feed, principal, text)


async def _write(websocket: WebSocket, feed: Feed, gateway: Gateway) -> None:
    sent = gateway.metrics.delivered.labels("websocket")
    while True:
        item = await feed.next_item()
        if item is STOP:
            return
        if item is HEARTBEAT:
            await websocket.send_text(PING)
            sent.inc()
            continue
        if isinstance(item, LiveEvent):
            for frame in feed.live_frames(item):
                await websocket.send_text(frame.text)
                sent.inc()
            continue
        async for frame in feed.frames(item):
            await websocket.send_text(frame.text)
            sent.inc()


def sse_frame(frame: Frame) -> str:
    lines = [f"id: {frame.position}"] if frame.position else []
    lines.extend(f"data: {line}" for line in frame.text.splitlines())
    return "\n".join(lines) + "\n\n"


SSE_RETRY_MS = 2000


async def event_stream(
    gateway: Gateway, credential: Credential, channels: list[str], since: Since | None
) -> AsyncIterator[str]:
    """The body of a ``text/event-stream`` response: the same frames as a WebSocket
    (``id:`` = ``<epoch>:<offset>`` so ``Last-Event-ID`` resumes), comment heartbeats."""
    transport: Transport = "sse"
    feed = gateway.open_feed(credential.principal.tenant_id, transport)
    expiry = _expire_at(feed, credential.expires_at)
    sent = gateway.metrics.delivered.labels(transport)
    try:
        feed.subscribe(channels, since)
        yield f"retry: {SSE_RETRY_MS}\n\n"
        while True:
            item = await feed.next_item()
            if item is STOP:
                return
            if item is HEARTBEAT:
                yield ": ping\n\n"
                sent.inc()
                continue
            async for frame in feed.frames(item):
                yield sse_frame(frame)
                sent.inc()
    finally:
        if expiry is not None:
            expiry.cancel()
        gateway.close_feed(feed, transport)
        gateway.connection_ended()
