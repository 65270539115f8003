"""The transactional outbox: events are rows written in the business transaction.

Nothing is published to Redis from a request path. A relay (the realtime issue) reads
committed rows and publishes them, so an event exists if and only if its change
committed, and a crash between commit and publish loses nothing.

Event types are ``"<context>.<entity>.<past_verb>"`` (``catalog.price.changed``).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Index, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, driver_connection
from quartermaster.core.ids import new_id

NOTIFY_CHANNEL = "qm_outbox"


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


# One round trip: the row and the wake-up. A data-modifying CTE runs whether or not the
# outer query reads it, and NOTIFY is transactional (delivered at commit, dropped on
# rollback; identical notifications in one transaction are folded into one). Plain SQL on
# the driver connection: every stock movement emits, so this is a hot path.
_EMIT = (
    "WITH written AS ("
    " INSERT INTO outbox_events (id, tenant_id, type, payload)"
    " VALUES ($1, $2, $3, $4::text::jsonb))"
    " SELECT pg_notify($5, '')"
)


async def emit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event_type: str,
    payload: BaseModel | dict[str, Any],
) -> uuid.UUID:
    """Write an event to the outbox in the current transaction and wake the relay when
    (and only if) the transaction commits. Returns the stable event id."""
    document = (
        payload.model_dump_json()
        if isinstance(payload, BaseModel)
        else json.dumps(payload, separators=(",", ":"))
    )
    event_id = new_id()
    connection = await driver_connection(session)
    await connection.execute(_EMIT, event_id, tenant_id, event_type, document, NOTIFY_CHANNEL)
    return event_id
