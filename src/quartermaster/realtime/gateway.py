"""The process's gateway: the hub, the open feeds, their metrics, and shutdown.

Graceful shutdown closes every socket with 1001 (going away) *before* Uvicorn closes the
remaining connections itself (with 1012): the app learns of a shutdown only when Uvicorn
has already done that, so the gateway also chains the process's SIGTERM/SIGINT handlers
while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from types import FrameType
from typing import Any, Literal

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from quartermaster.core.health import add_readiness_check
from quartermaster.core.settings import Settings
from quartermaster.realtime.feed import GOING_AWAY, TRY_AGAIN_LATER, Feed
from quartermaster.realtime.hub import LiveHub
from quartermaster.realtime.repository import LiveStreams
from quartermaster.realtime.supervisor import Supervised, supervise

log = structlog.stdlib.get_logger(__name__)

Transport = Literal["websocket", "sse"]


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "qm_realtime_connections",
            "Open live connections of this process.",
            ("transport",),
            registry=registry,
        )
        self.delivered = Counter(
            "qm_realtime_messages_sent",
            "Messages sent to live clients (events, replies, heartbeats).",
            ("transport",),
            registry=registry,
        )
        self.slow_consumers = Counter(
            "qm_realtime_slow_consumers",
            "Live connections ended because their client could not keep up.",
            ("transport",),
            registry=registry,
        )


# How long a SIGTERM waits for the sockets' 1001 close frames before Uvicorn shuts down.
SIGNAL_GRACE_SECONDS = 2.0


FIRST_SUBSCRIPTION_WAIT_SECONDS = 2.0


class GatewayClosing(RuntimeError):
    pass


class Gateway:
    def __init__(
        self,
        redis: Redis,
        redis_url: str,
        *,
        queue_size: int,
        heartbeat_seconds: float,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.streams = LiveStreams(redis)
        self.metrics = GatewayMetrics(registry or CollectorRegistry(auto_describe=True))
        # Events the hub writes straight to sockets count as sent WebSocket messages.
        self.hub = LiveHub(redis_url, on_written=self.metrics.delivered.labels("websocket").inc)
        self.queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        # Whether WebSockets may take the direct path (wire.py); tests turn it off.
        self.direct_writes = True
        self.closing = False
        self._hub_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.hub_state: Supervised | None = None
        self.heartbeat_state: Supervised | None = None
        # Connections not yet ended (close_all waits for none).
        self._connections = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        # Supervised: an unexpected exception is logged and the task runs again (backoff).
        self.hub_state, self._hub_task = supervise("live-hub", self.hub.run)
        self.heartbeat_state, self._heartbeat_task = supervise("live-heartbeats", self._heartbeats)
        # Start ready when Redis answers: wait briefly for the first subscription, never
        # for long (a Redis that is down must not keep the API from starting; /readyz
        # reports it).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.hub.connected.wait(), FIRST_SUBSCRIPTION_WAIT_SECONDS)

    @property
    def live_delivery(self) -> bool:
        """Whether events reach live clients now: the hub is subscribed and both tasks
        run (``/readyz`` reports ``live`` down otherwise)."""
        return (
            self.hub.connected.is_set()
            and self.hub_state is not None
            and self.hub_state.running
            and self.heartbeat_state is not None
            and self.heartbeat_state.running
        )

    async def _heartbeats(self) -> None:
        """One timer for every connection: a feed idle for ``heartbeat_seconds`` gets a
        heartbeat (checked twice per interval, so the gap is at most 1.5 intervals)."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds / 2)
            now = time.monotonic()
            for feed in self.hub.feeds():
                feed.heartbeat_if_idle(now, self.heartbeat_seconds)

    def open_feed(self, tenant_id: uuid.UUID, transport: Transport) -> Feed:
        if self.closing:
            raise GatewayClosing("the server is shutting down")
        feed = Feed(tenant_id, self.streams, queue_size=self.queue_size)
        self.hub.attach(feed)
        self._connections += 1
        self._idle.clear()
        self.metrics.connections.labels(transport).inc()
        return feed

    def close_feed(self, feed: Feed, transport: Transport) -> None:
        """The feed takes no more events; call :meth:`connection_ended` once the client
        has been told (a WebSocket's close frame sent, an event stream's last chunk)."""
        self.hub.detach(feed)
        self.metrics.connections.labels(transport).dec()
        if feed.end_code == TRY_AGAIN_LATER:
            self.metrics.slow_consumers.labels(transport).inc()

    def connection_ended(self) -> None:
        self._connections -= 1
        if self._connections == 0:
            self._idle.set()

    def begin_shutdown(self) -> None:
        """End every feed with 1001; refuse new ones. Safe to call more than once."""
        if not self.closing:
            log.info("gateway_closing", connections=len(self.hub.feeds()))
        self.closing = True
        for feed in self.hub.feeds():
            feed.end(GOING_AWAY, "the server is shutting down")

    async def close_all(self, grace_seconds: float) -> None:
        """End every feed (1001) and wait, at most ``grace_seconds``, until every socket
        has sent its close frame and every event stream has ended."""
        self.begin_shutdown()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace_seconds)

    async def stop(self, grace_seconds: float = 5.0) -> None:
        await self.close_all(grace_seconds)
        for task in (self._hub_task, self._heartbeat_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def get_gateway(connection: HTTPConnection) -> Gateway:
    gateway = getattr(connection.app.state, "gateway", None)
    assert isinstance(gateway, Gateway), "the realtime gateway is started by the app's lifespan"
    return gateway


def _chain_shutdown_signals(close: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    """On SIGTERM/SIGINT, run ``close`` (in the event loop) and only then hand the signal to
    whatever handled it before (Uvicorn's graceful exit): Uvicorn closes the WebSockets
    still open itself (1012) as soon as it sees the signal, so it must see it after ours
    went out with 1001. A second signal meanwhile goes through at once (Uvicorn's forced
    exit). Returns a function that undoes it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: dict[int, tuple[Any, Any]] = {}
    closing: set[asyncio.Task[None]] = set()

    async def close_then(
        previous: Callable[..., Any], signum: int, frame: FrameType | None
    ) -> None:
        try:
            await close()
        finally:
            previous(signum, frame)

    def start(previous: Callable[..., Any], signum: int, frame: FrameType | None) -> None:
        if closing:
            previous(signum, frame)
            return
        task = loop.create_task(close_then(previous, signum, frame))
        closing.add(task)
        task.add_done_callback(closing.discard)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue  # default or ignored: not a graceful exit we can chain

        def handler(
            signum: int, frame: FrameType | None, _previous: Callable[..., Any] = previous
        ) -> None:
            loop.call_soon_threadsafe(start, _previous, signum, frame)

        signal.signal(sig, handler)
        installed[sig] = (previous, handler)

    def restore() -> None:
        for sig, (previous, handler) in installed.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)

    return restore


_TOKEN_IN_QUERY = re.compile(r"(?<=[?&]token=)[^&\s\"']+")


class RedactQueryTokens(logging.Filter):
    """Uvicorn logs each WebSocket handshake with its query string; a ``?token=`` there
    is a credential and must not reach the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub("[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_QUERY.sub("[redacted]", record.msg)
        return True


def _redact_tokens_in_server_logs() -> None:
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RedactQueryTokens) for f in server_log.filters):
        server_log.addFilter(RedactQueryTokens())


@contextlib.asynccontextmanager
async def gateway_lifespan(app: FastAPI, settings: Settings) -> AsyncIterator[Gateway]:
    """Start the gateway for the app's lifetime (``app.state.gateway``)."""
    redis = app.state.redis
    assert isinstance(redis, Redis)
    assert settings.redis_url is not None
    metrics = getattr(app.state, "metrics", None)
    gateway = Gateway(
        redis,
        settings.redis_url,
        queue_size=settings.realtime_queue_size,
        heartbeat_seconds=settings.realtime_heartbeat_seconds,
        registry=getattr(metrics, "registry", None),
    )
    _redact_tokens_in_server_logs()
    await gateway.start()
    app.state.gateway = gateway
    add_readiness_check(app, "live", lambda: gateway.live_delivery)
    restore_signals = _chain_shutdown_signals(lambda: gateway.close_all(SIGNAL_GRACE_SECONDS))
    try:
        yield gateway
    finally:
        restore_signals()
        await gateway.stop()
