"""Queries on low-stock alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import (
    StockAlert,
)
from quartermaster.inventory.repository.levels import warehouse_available_query

# Stock alerts


async def lock_alert_pair(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, warehouse_id: uuid.UUID
) -> None:
    """A transaction-scoped advisory lock on one (product, warehouse): writers deciding
    whether its alert should be raised or resolved take turns, each reading the levels as
    the previous one committed them."""
    await session.execute(
        select(
            func.pg_advisory_xact_lock(
                func.hashtextextended(f"stock_alert:{tenant_id}:{product_id}:{warehouse_id}", 0)
            )
        )
    )


async def raise_alert(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    at: datetime,
    alert_id: uuid.UUID,
) -> bool:
    """Insert an open alert unless a non-resolved one exists; True when inserted."""
    inserted = await session.execute(
        insert(StockAlert)
        .values(
            id=alert_id,
            tenant_id=tenant_id,
            product_id=product_id,
            warehouse_id=warehouse_id,
            status="open",
            raised_at=at,
        )
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "product_id", "warehouse_id"],
            # Literal, not a bound parameter: the planner must see that it implies the
            # partial unique index's predicate.
            index_where=text("status <> 'resolved'"),
        )
        .returning(StockAlert.id)
    )
    return inserted.first() is not None


async def resolve_alert(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    at: datetime,
    *,
    if_available_above: Decimal | None = None,
) -> uuid.UUID | None:
    """Resolve the pair's non-resolved alert, if any (and, with ``if_available_above``,
    only when the warehouse's available total is above it); its id."""
    conditions: list[ColumnElement[bool]] = [
        StockAlert.tenant_id == tenant_id,
        StockAlert.product_id == product_id,
        StockAlert.warehouse_id == warehouse_id,
        StockAlert.status != "resolved",
    ]
    if if_available_above is not None:
        available = warehouse_available_query(tenant_id, product_id, warehouse_id)
        conditions.append(available.scalar_subquery() > if_available_above)
    resolved = await session.execute(
        update(StockAlert)
        .where(*conditions)
        .values(status="resolved", resolved_at=at)
        .returning(StockAlert.id)
        .execution_options(synchronize_session=False)
    )
    return resolved.scalar_one_or_none()


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
    before: uuid.UUID | None,
) -> list[StockAlert]:
    """Newest first (ids are time-ordered UUIDv7s)."""
    query = (
        select(StockAlert)
        .where(StockAlert.tenant_id == tenant_id)
        .order_by(StockAlert.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(StockAlert.status == status)
    if product_id is not None:
        query = query.where(StockAlert.product_id == product_id)
    if warehouse_id is not None:
        query = query.where(StockAlert.warehouse_id == warehouse_id)
    if before is not None:
        query = query.where(StockAlert.id < before)
    return list((await session.execute(query)).scalars())
