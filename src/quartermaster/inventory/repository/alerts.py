"""Queries on low-stock alerts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import keyset
from quartermaster.inventory.models import (
    StockAlert,
)

# Stock alerts


async def alert_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, alert_id: uuid.UUID, *, for_update: bool = False
) -> StockAlert | None:
    query = select(StockAlert).where(StockAlert.tenant_id == tenant_id, StockAlert.id == alert_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def alerts_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    product_id: uuid.UUID | None,
    warehouse_id: uuid.UUID | None,
    limit: int,
    after: Sequence[Any] | None,
) -> list[StockAlert]:
    """Newest first (ids are time-ordered UUIDv7s): the key is ``(id,)``."""
    query = select(StockAlert).where(StockAlert.tenant_id == tenant_id)
    if status is not None:
        query = query.where(StockAlert.status == status)
    if product_id is not None:
        query = query.where(StockAlert.product_id == product_id)
    if warehouse_id is not None:
        query = query.where(StockAlert.warehouse_id == warehouse_id)
    query = keyset(query, [StockAlert.id], after, limit=limit, descending=True)
    return list((await session.execute(query)).scalars())
