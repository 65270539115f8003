"""The outbox relay: committed outbox rows → the tenant's Redis stream + live pub/sub.

One pass (:meth:`OutboxRelay.publish_batch`), in one database transaction:

1. claim the oldest unpublished rows ``FOR UPDATE SKIP LOCKED`` (several relays may run;
   each takes rows the others do not hold) and set their ``published_at`` — one
   statement, whose effect nobody sees before the COMMIT of step 3;
2. for each event, one Lua script — atomic in Redis — makes sure the tenant has an epoch,
   ``XADD``s the event to ``qm:events:{tenant}`` (``MAXLEN ~``) and ``PUBLISH``es the same
   envelope, with the offset Redis just assigned, on ``qm:live`` (the batch's scripts go
   out as one pipeline of ``EVALSHA``: one round trip);
3. COMMIT.

So a pass costs BEGIN, one statement, one Redis round trip and COMMIT (it matters for
the commit → publish lag). Delivery is at least once: a relay that dies after step 2 and
before the COMMIT leaves the rows unpublished (the transaction rolls back); they are
published again (new offsets, same ``event_id``) and clients drop the repeats.

Ordering: a row is claimed only once its transaction has committed, so rows can be
published out of id order (a long transaction commits after a short later one). That is
harmless because the offset is assigned by Redis *at publish time*, in the same script as
the live publication: the stream's order is exactly the live delivery order, and "every
event after offset X" (``XRANGE (X +``) is complete. Resuming by database id — Odoo's bus
bug — is what we must not do, and nothing here exposes a database id as a position.

The relay reads every tenant's rows, which forced row-level security forbids to the
application role: it connects as the table owner, to which migration 0009 gives
``outbox_relay_*`` policies (see docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from opentelemetry.trace import Span, SpanKind
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from redis.asyncio import Redis
from redis.exceptions import NoScriptError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database, async_url
from quartermaster.core.events import NOTIFY_CHANNEL
from quartermaster.core.streams import (
    LIVE_CHANNEL,
    envelope_parts,
    epoch_key,
    new_epoch,
    stream_key,
    trimmed_key,
)
from quartermaster.core.tracing import context_from, tracer, tracing_enabled

log = structlog.stdlib.get_logger(__name__)

# Maps an event type to its live channel (``inventory.stock.moved`` → ``inventory:updates``),
# or None for events no client subscribes to. The realtime module owns the table; core
# only receives the function, so it never imports a business module.
ChannelResolver = Callable[[str], str | None]

# KEYS: epoch, stream, trimmed marker.
# ARGV: candidate epoch, maxlen, live channel, event_id, type, occurred_at, channel, data,
#       envelope prefix, envelope suffix.
_PUBLISH_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[1])
local before = redis.call('XLEN', KEYS[2])
local offset = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
  'event_id', ARGV[4], 'type', ARGV[5], 'occurred_at', ARGV[6],
  'channel', ARGV[7], 'data', ARGV[8])
local after = redis.call('XLEN', KEYS[2])
if after <= before then
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
  redis.call('SET', KEYS[3], first[1][1])
end
redis.call('PUBLISH', ARGV[3], ARGV[9] .. offset .. '","epoch":"' .. epoch .. ARGV[10])
return {epoch, offset, after}
"""

_PUBLISH_SHA = hashlib.sha1(_PUBLISH_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis's id

# Claim and mark in one statement (published_at is the claim's time, visible at COMMIT).
_CLAIM = """
UPDATE outbox_events AS e SET published_at = clock_timestamp()
FROM (
  SELECT id FROM outbox_events
  WHERE published_at IS NULL
  ORDER BY id
  LIMIT $1
  FOR UPDATE SKIP LOCKED
) AS claimed
WHERE e.id = claimed.id
RETURNING e.id, e.tenant_id, e.type, e.occurred_at, e.payload::text AS data, e.trace_context
"""

# Whether the connected role sees every tenant's rows for reading and marking: a
# superuser / BYPASSRLS role, or a permissive policy ``USING (true)`` for SELECT and one for
# UPDATE (FOR UPDATE applies both) that apply to it — migration 0009's for the owner, or an
# operator's for a dedicated relay role (docs/operations.md).
_ROLE_CHECK = """
SELECT current_user AS role,
       r.rolsuper OR r.rolbypassrls OR (
         SELECT count(DISTINCT p.polcmd) FILTER (WHERE p.polcmd IN ('r', 'w')) = 2
                OR bool_or(p.polcmd = '*')
         FROM pg_policy p, unnest(p.polroles) AS pr(oid)
         WHERE p.polrelid = to_regclass('outbox_events') AND p.polpermissive
           AND p.polcmd IN ('r', 'w', '*')
           AND pg_get_expr(p.polqual, p.polrelid) = 'true'
           AND (pr.oid = 0 OR pg_has_role(current_user, pr.oid, 'MEMBER'))
       ) IS TRUE AS sees_every_tenant
FROM pg_roles r WHERE r.rolname = current_user
"""

# The relay's backlog: unpublished rows (counted up to a cap, so a huge backlog costs a
# bounded scan of the partial index) and the age of the oldest one — which grows while no
# relay runs, when the lag histogram (published events only) says nothing.
_BACKLOG = """
SELECT count(*) AS pending,
       coalesce(extract(epoch FROM clock_timestamp() - min(occurred_at)), 0)::float8 AS age
FROM (SELECT occurred_at FROM outbox_events WHERE published_at IS NULL
      ORDER BY id LIMIT 100000) AS backlog
"""
BACKLOG_INTERVAL_SECONDS = 5.0

_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STREAM_BUCKETS = (10, 100, 1_000, 2_500, 5_000, 10_000, 25_000, 100_000)


class RelayMisconfigured(RuntimeError):
    """The relay's database role cannot see every tenant's outbox rows."""


class RelayMetrics:
    """Published events and relay lag (transaction start → publish; an upper bound of
    commit → publish), in a given registry (the app's, or the relay process's own)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.published = Counter(
            "qm_relay_published_events",
            "Outbox events published to Redis by this process.",
            registry=self.registry,
        )
        self.lag = Histogram(
            "qm_relay_lag_seconds",
            "Seconds from the event's transaction start to its publication in Redis.",
            buckets=_LAG_BUCKETS,
            registry=self.registry,
        )
        self.pending = Gauge(
            "qm_outbox_pending_events",
            "Committed outbox events not yet published (counted up to 100,000).",
            registry=self.registry,
        )
        self.oldest_pending_age = Gauge(
            "qm_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox event (0 when none is waiting).",
            registry=self.registry,
        )
        self.stream_length = Histogram(
            "qm_realtime_stream_length",
            "Length of the tenant's event stream (what reconnecting clients can resume "
            "from) right after each publication; capped near QM_REALTIME_STREAM_MAXLEN.",
            buckets=_STREAM_BUCKETS,
            registry=self.registry,
        )


@dataclass(frozen=True)
class ClaimedEvent:
    id: uuid.UUID
    tenant_id: uuid.UUID
    type: str
    occurred_at: datetime
    data: str
    trace_context: str | None = None


@dataclass(frozen=True)
class PublishedEvent:
    event: ClaimedEvent
    channel: str
    offset: str
    epoch: str


def plain_url(url: str) -> str:
    """The libpq form of a database URL (what asyncpg.connect accepts)."""
    return async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    def __init__(
        self,
        database_url: str,
        redis: Redis,
        channel_of: ChannelResolver,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        stream_maxlen: int = 10_000,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self._dsn = plain_url(database_url)
        self._redis = redis
        self._channel_of = channel_of
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.stream_maxlen = stream_maxlen
        self.metrics = metrics or RelayMetrics()
        self._wake = asyncio.Event()
        self._stopping = False
        # True while connected and listening (`qm relay`'s readiness).
        self.listening = False
        self._backlog_at = 0.0

    # -- one connection, the steps of a pass ------------------------------------------

    async def connect(self) -> asyncpg.Connection:
        """A connection as the relay's role, refused if that role cannot see every
        tenant's events (it would silently publish nothing)."""
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "quartermaster-relay"}
        )
        try:
            row = await connection.fetchrow(_ROLE_CHECK)
        except BaseException:
            await connection.close()
            raise
        if row is None or not row["sees_every_tenant"]:
            await connection.close()
            role = row["role"] if row else "?"
            raise RelayMisconfigured(
                f"The outbox relay connects as {role!r}, which row-level security stops from "
                "reading and marking other tenants' events. Point it at the role that owns "
                "the tables and runs `qm migrate` (QM_DATABASE_OWNER_URL, or "
                "QM_RELAY_DATABASE_URL for a dedicated relay role with its own policies), and "
                "make sure migrations are at head (0009 gives the owner the relay policies)."
            )
        return connection

    async def claim(self, connection: asyncpg.Connection) -> list[ClaimedEvent]:
        """Lock the oldest unpublished rows that no other relay holds and mark them
        published (in a transaction: a rollback undoes the mark), oldest first."""
        rows = sorted(await connection.fetch(_CLAIM, self.batch_size), key=lambda r: r["id"])
        return [
            ClaimedEvent(
                id=row["id"],
                tenant_id=row["tenant_id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                data=row["data"],
                trace_context=row["trace_context"],
            )
            for row in rows
        ]

    async def publish(self, events: Sequence[ClaimedEvent]) -> list[PublishedEvent]:
        """Stream and publish each event that has a channel (one atomic script each, in
        one pipeline). Events no channel carries are skipped: nobody listens for them."""
        routed = [(event, self._channel_of(event.type)) for event in events]
        wanted = [(event, channel) for event, channel in routed if channel is not None]
        if not wanted:
            return []
        calls = [self._script_arguments(event, channel) for event, channel in wanted]
        spans = _publish_spans(wanted) if tracing_enabled() else []
        try:
            try:
                results = await self._evalsha(calls)
            except NoScriptError:
                # Redis lost its scripts (a restart, SCRIPT FLUSH): every call failed alike,
                # nothing was published, so loading the script and going again is safe.
                await self._redis.script_load(_PUBLISH_SCRIPT)
                results = await self._evalsha(calls)
        finally:
            for span in spans:
                span.end()
        published = []
        now = utcnow()
        for (event, channel), (epoch, offset, length) in zip(wanted, results, strict=True):
            published.append(
                PublishedEvent(
                    event=event, channel=channel, offset=_text(offset), epoch=_text(epoch)
                )
            )
            self.metrics.lag.observe(max((now - event.occurred_at).total_seconds(), 0.0))
            self.metrics.stream_length.observe(int(length))
        self.metrics.published.inc(len(published))
        return published

    def _script_arguments(self, event: ClaimedEvent, channel: str) -> list[Any]:
        occurred_at = event.occurred_at.isoformat()
        prefix, suffix = envelope_parts(
            tenant_id=event.tenant_id,
            channel=channel,
            event_id=str(event.id),
            event_type=event.type,
            occurred_at=occurred_at,
            data=event.data,
        )
        keys = [epoch_key(event.tenant_id), stream_key(event.tenant_id)]
        keys.append(trimmed_key(event.tenant_id))
        return [
            _PUBLISH_SHA,
            len(keys),
            *keys,
            new_epoch(),
            self.stream_maxlen,
            LIVE_CHANNEL,
            str(event.id),
            event.type,
            occurred_at,
            channel,
            event.data,
            prefix,
            suffix,
        ]

    async def _evalsha(self, calls: list[list[Any]]) -> list[Any]:
        # EVALSHA by hand: redis-py's pipelined Script asks SCRIPT EXISTS first, every time.
        async with self._redis.pipeline(transaction=False) as pipe:
            for arguments in calls:
                pipe.execute_command("EVALSHA", *arguments)
            return list(await pipe.execute())

    async def publish_batch(self, connection: asyncpg.Connection) -> int:
        """Claim (and mark) and publish one batch, then commit; the number of rows it took."""
        if tracing_enabled():
            with tracer().start_as_current_span("outbox relay batch", kind=SpanKind.INTERNAL):
                return await self._publish_batch(connection)
        return await self._publish_batch(connection)

    async def _publish_batch(self, connection: asyncpg.Connection) -> int:
        async with connection.transaction():
            events = await self.claim(connection)
            if events:
                await self.publish(events)
        return len(events)

    async def publish_pending(self) -> int:
        """Publish everything committed so far, on a connection of its own."""
        connection = await self.connect()
        try:
            total = 0
            while (count := await self.publish_batch(connection)) > 0:
                total += count
            return total
        finally:
            await connection.close()

    # -- the long-running loop ---------------------------------------------------------

    def request_stop(self) -> None:
        """Finish the batch in hand, then return from :meth:`run`."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Publish until :meth:`request_stop`: woken by NOTIFY on commit, polling every
        ``poll_interval`` seconds as well (a NOTIFY sent while no relay listened is not
        queued anywhere). Database or Redis failures are retried with backoff."""
        delay = _Backoff()
        while not self._stopping:
            connection: asyncpg.Connection | None = None
            try:
                connection = await self.connect()
                await connection.add_listener(NOTIFY_CHANNEL, self._on_notify)
                self.listening = True
                log.info("relay_listening", channel=NOTIFY_CHANNEL)
                delay.reset()
                while not self._stopping:
                    self._wake.clear()
                    while not self._stopping:
                        count = await self.publish_batch(connection)
                        if count < self.batch_size:
                            break
                    await self._measure_backlog(connection)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except RelayMisconfigured:
                raise
            except Exception as exc:  # keep relaying whatever failed; say what it was
                self.listening = False
                wait = delay.next()
                log.warning("relay_failed", error=repr(exc), retry_in_seconds=round(wait, 2))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
            finally:
                self.listening = False
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=5)
        log.info("relay_stopped")

    async def _measure_backlog(self, connection: asyncpg.Connection) -> None:
        """At most every BACKLOG_INTERVAL_SECONDS, between passes, on the relay's own
        connection: the pending count and the oldest pending event's age."""
        now = time.monotonic()
        if now - self._backlog_at < BACKLOG_INTERVAL_SECONDS:
            return
        self._backlog_at = now
        row = await connection.fetchrow(_BACKLOG)
        self.metrics.pending.set(row["pending"])
        self.metrics.oldest_pending_age.set(row["age"])

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()


def _publish_spans(wanted: Sequence[tuple[ClaimedEvent, str]]) -> list[Span]:
    """One span per event whose writer was traced, in the writer's trace: the request that
    committed it continues into its publication (ended once Redis has it)."""
    spans = []
    for event, channel in wanted:
        parent = context_from(event.trace_context)
        if parent is None:
            continue
        spans.append(
            tracer().start_span(
                f"publish {event.type}",
                context=parent,
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "redis",
                    "messaging.destination.name": channel,
                    "messaging.message.id": str(event.id),
                    "quartermaster.tenant_id": str(event.tenant_id),
                },
            )
        )
    return spans


class _Backoff:
    def __init__(self, first: float = 0.2, limit: float = 5.0) -> None:
        self._first, self._limit, self._current = first, limit, first

    def reset(self) -> None:
        self._current = self._first

    def next(self) -> float:
        value = self._current
        self._current = min(self._current * 2, self._limit)
        return value


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- retention ------------------------------------------------------------------------

_PRUNE = text(
    """
    DELETE FROM outbox_events WHERE id IN (
      SELECT id FROM outbox_events
      WHERE id < :id_bound AND published_at IS NOT NULL AND published_at < :cutoff
      ORDER BY id LIMIT :limit
      FOR UPDATE SKIP LOCKED)
    """
)


def _uuid7_floor(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond: every id generated before ``moment`` is below
    it, which lets the prune walk the primary key instead of scanning the table."""
    ms = int(moment.timestamp() * 1000)
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0b10 << 62))


async def prune_published_outbox(
    target: Database | AsyncSession, older_than: timedelta, *, batch_size: int = 5_000
) -> int:
    """Delete outbox rows published more than ``older_than`` ago; returns how many.

    Unpublished rows are never deleted. Needs the owner role (the relay's): the
    application role sees one tenant at a time. With a :class:`Database`, each batch is
    its own short transaction; with a session, everything runs in the caller's.
    """
    cutoff = utcnow() - older_than
    # ids are generated by app servers whose clocks may run a little ahead of this one
    params = {"id_bound": _uuid7_floor(cutoff + timedelta(minutes=5)), "cutoff": cutoff}
    total = 0
    while True:
        if isinstance(target, Database):
            async with target.transaction() as session:
                result = await session.execute(_PRUNE, {**params, "limit": batch_size})
        else:
            result = await target.execute(_PRUNE, {**params, "limit": batch_size})
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < batch_size:
            return total


# -- running it ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def relay_in_background(
    relay: OutboxRelay, *, stop_timeout: float = 10.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run the relay as a task for the duration of the block (the API's lifespan).

    A relay role that cannot see every tenant fails here, loudly; an unreachable database
    does not (the relay retries, as the API starts and reports /readyz 503)."""
    try:
        connection = await relay.connect()
    except RelayMisconfigured:
        raise
    except Exception as exc:
        log.warning("relay_database_unreachable_at_startup", error=repr(exc))
    else:
        await connection.close()
    task = asyncio.create_task(relay.run(), name="outbox-relay")
    try:
        yield task
    finally:
        relay.request_stop()
        try:
            await asyncio.wait_for(task, stop_timeout)
        except TimeoutError:
            log.warning("relay_stop_timed_out")
        except RelayMisconfigured:
            log.exception("relay_misconfigured")
