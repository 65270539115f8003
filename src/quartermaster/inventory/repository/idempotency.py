"""Queries on idempotency keys.

The claim and the stored response run in every keyed write (a movement with an
``Idempotency-Key``), so they are plain SQL on the session's driver connection, like the
ledger writer's statements (see ``writer.py``); the replay's read and the pruning are not
hot and stay SQLAlchemy statements."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import driver_connection
from quartermaster.inventory.models import IdempotencyKey

_CLAIM = (
    "INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, key) DO NOTHING RETURNING key"
)
# The body is the response's JSON text as sent: the column is ``json``, which keeps it
# as written.
_STORE_RESPONSE = (
    "UPDATE idempotency_keys SET response_status = $3, response_body = $4::text::json"
    " WHERE tenant_id = $1 AND key = $2"
)

# Idempotency keys


async def claim_idempotency_key(
    session: AsyncSession, tenant_id: uuid.UUID, key: str, request_hash: str, at: datetime
) -> bool:
    """Insert the key; False when it exists. A concurrent transaction holding the same
    uncommitted key makes this wait until that one commits (then False) or rolls back
    (then True): duplicates run one at a time."""
    connection = await driver_connection(session)
    return await connection.fetchval(_CLAIM, tenant_id, key, request_hash, at) is not None


async def idempotency_key(
    session: AsyncSession, tenant_id: uuid.UUID, key: str
) -> IdempotencyKey | None:
    return (
        await session.execute(
            select(IdempotencyKey)
            .where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def store_idempotent_response(
    session: AsyncSession, tenant_id: uuid.UUID, key: str, status: int, body: str
) -> None:
    """Store the answer to a claimed key; ``body`` is its JSON text."""
    connection = await driver_connection(session)
    await connection.execute(_STORE_RESPONSE, tenant_id, key, status, body)


async def delete_idempotency_keys_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
