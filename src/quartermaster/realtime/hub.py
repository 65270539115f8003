"""Fan-out: one Redis subscription per process, feeding the feeds of each tenant.

Every event of every tenant arrives once on ``qm:live``; the hub parses its routing
fields once and offers the same text to the tenant's feeds. Offering never blocks (each
feed has its own bounded queue), so one slow client cannot delay the others.

If the subscription drops, messages published meanwhile are not queued anywhere by
Redis; on reconnecting the hub asks every feed to catch up from the tenant's stream
(or to tell its client to resync if the stream itself was lost).
"""

from __future__ import annotations

import asyncio
import uuid

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from quartermaster.core.streams import LIVE_CHANNEL
from quartermaster.realtime.feed import Feed, LiveEvent

log = structlog.stdlib.get_logger(__name__)

_READ_TIMEOUT = 1.0


class LiveHub:
    def __init__(self, redis_url: str, *, first_retry: float = 0.2, max_retry: float = 5.0) -> None:
        self._redis_url = redis_url
        self._feeds: dict[uuid.UUID, set[Feed]] = {}
        self._first_retry, self._max_retry = first_retry, max_retry
        self.connected = asyncio.Event()
        # Connections made so far (1 after the first); tests and logs watch it.
        self.connections = 0

    def attach(self, feed: Feed) -> None:
        self._feeds.setdefault(feed.tenant_id, set()).add(feed)

    def detach(self, feed: Feed) -> None:
        feeds = self._feeds.get(feed.tenant_id)
        if feeds is not None:
            feeds.discard(feed)
            if not feeds:
                del self._feeds[feed.tenant_id]

    def feeds(self) -> list[Feed]:
        return [feed for feeds in self._feeds.values() for feed in feeds]

    def dispatch(self, raw: bytes | str) -> None:
        try:
            event = LiveEvent.parse(raw)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("live_message_unreadable", error=repr(exc))
            return
        for feed in tuple(self._feeds.get(event.tenant_id, ())):
            feed.offer(event)

    async def run(self) -> None:
        """Stay subscribed until cancelled, reconnecting with backoff."""
        retry = self._first_retry
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
                retry = self._first_retry
                while True:
                    received = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=_READ_TIMEOUT
                    )
                    if received is not None and received.get("type") == "message":
                        self.dispatch(received["data"])
            except (RedisError, OSError) as exc:
                log.warning(
                    "live_subscription_lost", error=repr(exc), retry_in_seconds=round(retry, 2)
                )
            finally:
                self.connected.clear()
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except (RedisError, OSError):
                    pass
            await asyncio.sleep(retry)
            retry = min(retry * 2, self._max_retry)
