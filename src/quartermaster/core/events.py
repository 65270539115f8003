"""The transactional outbox: events are rows written in the business transaction.

Nothing is published to Redis from a request path. A relay (the realtime issue) reads
committed rows and publishes them, so an event exists if and only if its change
committed, and a crash between commit and publish loses nothing.

Event types are ``"<context>.<entity>.<past_verb>"`` (``catalog.price.changed``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import weakref
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel
from sqlalchemy import Index, String, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from quartermaster.core.db import Base, IdMixin, driver_connection
from quartermaster.core.ids import new_id
from quartermaster.core.tracing import current_traceparent

NOTIFY_CHANNEL = "qm_outbox"

log = structlog.stdlib.get_logger(__name__)


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        # The relay's work queue: unpublished rows in id (commit-ish) order.
        Index(
            "ix_outbox_events_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_events_tenant_id_id", "tenant_id", "id"),
    )

    tenant_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    payload: Mapped[dict[str, Any]]
    published_at: Mapped[datetime | None]
    # The writing transaction's W3C traceparent when tracing is on (core.tracing).
    trace_context: Mapped[str | None] = mapped_column(String(64))


# Plain SQL on the driver connection: every stock movement emits, so this is a hot path.
_EMIT = (
    "INSERT INTO outbox_events (id, tenant_id, type, payload, trace_context) "
    "VALUES ($1, $2, $3, $4::text::jsonb, $5)"
)


async def emit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event_type: str,
    payload: BaseModel | dict[str, Any],
) -> uuid.UUID:
    """Write an event to the outbox in the current transaction; once (and only if) the
    transaction commits, the relay is woken (:class:`_Waker`). Returns the stable event
    id."""
    document = (
        payload.model_dump_json()
        if isinstance(payload, BaseModel)
        else json.dumps(payload, separators=(",", ":"))
    )
    event_id = new_id()
    connection = await driver_connection(session)
    await connection.execute(
        _EMIT, event_id, tenant_id, event_type, document, current_traceparent()
    )
    bind = session.bind
    session.sync_session.info[_WAKE] = bind.engine if isinstance(bind, AsyncConnection) else bind
    return event_id


# Waking the relay. The wake-up is a NOTIFY on ``qm_outbox``, sent after the business
# transaction commits, from its own short transaction, once per burst of commits:
# PostgreSQL serializes the commits of every transaction that has sent a NOTIFY (a lock
# held until the commit is flushed, so queue entries keep commit order), which inside the
# business transaction cost a third of the movements/s on 16 connections (pgbench: 18,800
# vs 6,100 commits/s for an INSERT with and without it). A wake-up lost to a crash between
# COMMIT and NOTIFY only delays the event to the relay's next poll.
_WAKE = "quartermaster.outbox_wake"
# The most a burst of commits delays the wake-up of its later events (seconds); the first
# commit after a quiet spell wakes the relay at once.
WAKE_INTERVAL = 0.005
_NOTIFY = f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"


class _Waker:
    """At most one NOTIFY in flight per engine; commits meanwhile ask for one more.

    It has a connection of its own rather than one of the pool's: a small pool (the CLI's
    single connection) would make the wake-up wait for the very work it follows, and a
    busy one would make it queue behind requests. The connection is closed when the
    engine is disposed."""

    def __init__(self, engine: AsyncEngine) -> None:
        args, params = engine.dialect.create_connect_args(engine.url)
        for only_for_sqlalchemy in (
            "prepared_statement_cache_size",
            "prepared_statement_name_func",
        ):
            params.pop(only_for_sqlalchemy, None)
        self._args, self._params = list(args), dict(params)
        self._connection: Any = None
        self._running = False
        self._again = False
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    def poke(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        task = asyncio.get_running_loop().create_task(self._run())
        _in_flight.add(task)
        task.add_done_callback(_in_flight.discard)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._again = False
                sent_at = loop.time()
                await self._notify()
                if not self._again:
                    return
                # Commits came while it was on the wire: one more NOTIFY wakes the relay
                # for all of them, spaced WAKE_INTERVAL after the last, so a steady stream
                # of commits costs one per interval rather than one per commit or two.
                delay = WAKE_INTERVAL - (loop.time() - sent_at)
                if delay > 0:
                    await asyncio.sleep(delay)
        finally:
            self._running = False

    async def _notify(self) -> None:
        for attempt in (1, 2):  # a dropped connection is replaced once
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(
                        *self._args,
                        **self._params,
                        statement_cache_size=0,
                        server_settings={"application_name": "quartermaster-outbox-wake"},
                    )
                await self._connection.execute(_NOTIFY)
                return
            except Exception as exc:  # the relay's poll finds the rows anyway
                self.close()
                if attempt == 2:
                    log.warning("outbox_wake_failed", error=repr(exc))

    def _disposed(self, _engine: object) -> None:
        self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.terminate()


_wakers: weakref.WeakKeyDictionary[AsyncEngine, _Waker] = weakref.WeakKeyDictionary()
_in_flight: set[asyncio.Task[None]] = set()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    engine = session.info.pop(_WAKE, None)
    if isinstance(engine, AsyncEngine):
        waker = _wakers.get(engine)
        if waker is None:
            waker = _wakers[engine] = _Waker(engine)
        waker.poke()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WAKE, None)


async def wait_for_wakes() -> None:
    """Until every wake-up scheduled by a commit so far has been sent (tests)."""
    while _in_flight:
        await asyncio.gather(*list(_in_flight), return_exceptions=True)
