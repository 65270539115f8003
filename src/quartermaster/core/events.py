"""The transactional outbox: events are rows written in the business transaction.

Nothing is published to Redis from a request path. A relay (the realtime issue) reads
committed rows and publishes them, so an event exists if and only if its change
committed, and a crash between commit and publish loses nothing.

Event types are ``"<context>.<entity>.<past_verb>"`` (``catalog.price.changed``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Index, String, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin

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


async def emit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event_type: str,
    payload: BaseModel | dict[str, Any],
) -> uuid.UUID:
    """Write an event to the outbox in the current transaction and wake the relay when
    (and only if) the transaction commits. Returns the stable event id."""
    data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    event = OutboxEvent(tenant_id=tenant_id, type=event_type, payload=data)
    session.add(event)
    await session.flush()
    # NOTIFY is transactional: delivered at commit, dropped on rollback.
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return event.id
