"""Queries on idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import (
    IdempotencyKey,
)

# Idempotency keys


async def claim_idempotency_key(
    session: AsyncSession, tenant_id: uuid.UUID, key: str, request_hash: str, at: datetime
) -> bool:
    """Insert the key; False when it exists. A concurrent transaction holding the same
    uncommitted key makes this wait until that one commits (then False) or rolls back
    (then True): duplicates run one at a time."""
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(tenant_id=tenant_id, key=key, request_hash=request_hash, created_at=at)
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(IdempotencyKey.key)
    )
    return inserted.first() is not None


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
    session: AsyncSession, tenant_id: uuid.UUID, key: str, status: int, body: Any
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key)
        .values(response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


async def delete_idempotency_keys_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
