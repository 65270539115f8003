"""Fan-out: one Redis subscription per process, feeding the feeds of each tenant.

Every event of every tenant arrives once on ``qm:live``; the hub parses its routing
fields once and offers the same text (and, lazily, the same WebSocket frame) to the
tenant's feeds. Offering never blocks: a live feed with a direct writer gets the frame
written to its transport at once, any other queues it (each feed has its own bounded
queue), so one slow client cannot delay the others.

The fan-out costs about one ``write`` system call per socket and event. When the hub has
fallen behind (the event it just read was published a few milliseconds ago), it takes
every message already received with it and offers them together: each socket then gets
the batch in one write, so a backlog drains faster instead of growing.

If the subscription drops, messages published meanwhile are not queued anywhere by
Redis; on reconnecting (after a jittered, capped exponential backoff) the hub asks every
feed to catch up from the tenant's stream (or to tell its client to resync if the stream
itself was lost). Any other exception ends :meth:`LiveHub.run`; the gateway's supervisor
logs it and runs it again (``supervisor.py``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from quartermaster.core.streams import LIVE_CHANNEL
from quartermaster.realtime.feed import Feed, LiveEvent
from quartermaster.realtime.supervisor import Backoff

log = structlog.stdlib.get_logger(__name__)

_READ_TIMEOUT = 1.0
# An event published this long ago (ms) means messages may be waiting behind it.
_BEHIND_MS = 2
_BATCH_LIMIT = 100


def _parse(raw: bytes | str) -> LiveEvent | None:
    try:
        return LiveEvent.parse(raw)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("live_message_unreadable", error=repr(exc))
        return None


class LiveHub:
    def __init__(
        self,
        redis_url: str,
        *,
        first_retry: float = 0.2,
        max_retry: float = 5.0,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        self._redis_url = redis_url
        # Told how many sockets an event was written to directly (a metric).
        self._on_written = on_written
        # Per tenant, its feeds in the order they attached (a dict, not a set: writing to
        # sockets in that order is measurably faster than in hash order).
        self._feeds: dict[uuid.UUID, dict[Feed, None]] = {}
        self.backoff = Backoff(first_retry, max_retry)
        self.connected = asyncio.Event()
        # Connections made so far (1 after the first); tests and logs watch it.
        self.connections = 0

    def attach(self, feed: Feed) -> None:
        self._feeds.setdefault(feed.tenant_id, {})[feed] = None

    def detach(self, feed: Feed) -> None:
        feeds = self._feeds.get(feed.tenant_id)
        if feeds is not None:
            feeds.pop(feed, None)
            if not feeds:
                del self._feeds[feed.tenant_id]

    def feeds(self) -> list[Feed]:
        return [feed for feeds in self._feeds.values() for feed in feeds]

    def dispatch(self, raw: bytes | str) -> None:
        event = _parse(raw)
        if event is not None:
            self.dispatch_events([event])

    def dispatch_events(self, events: list[LiveEvent]) -> None:
        """Offer events, in publish order, to their tenants' feeds."""
        now = time.monotonic()
        by_tenant: dict[uuid.UUID, list[LiveEvent]] = {}
        for event in events:
            by_tenant.setdefault(event.tenant_id, []).append(event)
        written = 0
        for tenant_id, mine in by_tenant.items():
            feeds = self._feeds.get(tenant_id)
            if not feeds:
                continue
            if len(mine) == 1:
                [event] = mine
                for feed in tuple(feeds):
                    written += feed.offer(event, now)
            else:
                joined = b"".join(event.frame for event in mine)
                for feed in tuple(feeds):
                    written += feed.offer_all(mine, joined, now)
        if written and self._on_written is not None:
            self._on_written(written)

    async def _next_events(self, pubsub: PubSub) -> list[LiveEvent]:
        """The next message's event; with the ones already received after it when the hub
        has fallen behind, so that a backlog costs one write per socket, not one per
        event. "Behind" reads the offset's clock (Redis's, at publish time): with a skewed
        Redis clock this only batches more or less often, never changes what is sent."""
        received = await pubsub.get_message(ignore_subscribe_messages=True, timeout=_READ_TIMEOUT)
        events: list[LiveEvent] = []
        while received is not None:
            if received.get("type") == "message":
                event = _parse(received["data"])
                if event is not None:
                    events.append(event)
            if not events or len(events) >= _BATCH_LIMIT:
                break
            if time.time() * 1000 - events[-1].offset.ms < _BEHIND_MS:
                break
            # Returns at once with what is buffered; None when nothing is.
            received = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
        return events

    async def run(self) -> None:
        """Stay subscribed until cancelled, reconnecting with backoff after a Redis or
        network error; any other exception ends it (the gateway's supervisor restarts it)."""
        while True:
            # No silent retries inside redis-py: a drop must surface so feeds catch up.
            client = Redis.from_url(
                self._redis_url,
                socket_connect_timeout=5,
                socket_keepalive=True,
                health_check_interval=15,
                retry=Retry(NoBackoff(), 0),
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(LIVE_CHANNEL)
                self.connections += 1
                self.connected.set()
                if self.connections > 1:
                    log.info("live_subscription_restored", feeds=len(self.feeds()))
                # Whatever was published while nobody here listened is only in the streams.
                for feed in self.feeds():
                    feed.resume()
                self.backoff.reset()
                while True:
                    events = await self._next_events(pubsub)
                    if events:
                        self.dispatch_events(events)
            except (RedisError, OSError) as exc:
                log.warning("live_subscription_lost", error=repr(exc))
            finally:
                self.connected.clear()
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except (RedisError, OSError):
                    pass
            delay = self.backoff.next_delay()
            log.info("live_subscription_retry", in_seconds=round(delay, 2))
            await asyncio.sleep(delay)
