"""Queries on low-stock alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import (
    Location,
    StockAlert,
    StockLevel,
)

# Stock alerts


Pair = tuple[uuid.UUID, uuid.UUID]  # (product_id, warehouse_id)


async def lock_alert_pairs(session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair]) -> None:
    """Transaction-scoped advisory locks on (product, warehouse) pairs, in the given (sorted)
    order, in one statement: writers deciding whether a pair's alert should be raised or
    resolved take turns, each reading the levels as the previous one committed them.
    (Volatile target-list functions run after ORDER BY, so the locks follow ``n``.)"""
    keys = [f"stock_alert:{tenant_id}:{product}:{warehouse}" for product, warehouse in pairs]
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k.key, 0))"
            " FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS k(key, n) ORDER BY k.n"
        ),
        {"keys": keys},
    )


async def warehouse_availability(
    session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair]
) -> dict[Pair, Decimal]:
    """Σ (on_hand - reserved) per (product, warehouse) pair, in one statement (0 for pairs
    without level rows)."""
    rows = await session.execute(
        select(
            StockLevel.product_id,
            Location.warehouse_id,
            func.sum(StockLevel.on_hand - StockLevel.reserved),
        )
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .where(
            StockLevel.tenant_id == tenant_id,
            tuple_(StockLevel.product_id, Location.warehouse_id).in_(pairs),
        )
        .group_by(StockLevel.product_id, Location.warehouse_id)
    )
    found = {(product, warehouse): Decimal(total) for product, warehouse, total in rows}
    return {pair: found.get(pair, Decimal(0)) for pair in pairs}


async def raise_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, alerts: dict[Pair, uuid.UUID], at: datetime
) -> dict[Pair, uuid.UUID]:
    """Open an alert (with the given id) for each pair that has no non-resolved one, in one
    statement; the pairs actually raised."""
    if not alerts:
        return {}
    inserted = await session.execute(
        insert(StockAlert)
        .values(
            [
                {
                    "id": alert_id,
                    "tenant_id": tenant_id,
                    "product_id": product_id,
                    "warehouse_id": warehouse_id,
                    "status": "open",
                    "raised_at": at,
                }
                for (product_id, warehouse_id), alert_id in alerts.items()
            ]
        )
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "product_id", "warehouse_id"],
            # Literal, not a bound parameter: the planner must see that it implies the
            # partial unique index's predicate.
            index_where=text("status <> 'resolved'"),
        )
        .returning(StockAlert.product_id, StockAlert.warehouse_id, StockAlert.id)
    )
    return {(product, warehouse): alert_id for product, warehouse, alert_id in inserted}


async def resolve_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, pairs: list[Pair], at: datetime
) -> dict[Pair, uuid.UUID]:
    """Resolve the non-resolved alert of each pair that has one, in one statement; the
    pairs resolved and their alert ids."""
    if not pairs:
        return {}
    resolved = await session.execute(
        update(StockAlert)
        .where(
            StockAlert.tenant_id == tenant_id,
            StockAlert.status != "resolved",
            tuple_(StockAlert.product_id, StockAlert.warehouse_id).in_(pairs),
        )
        .values(status="resolved", resolved_at=at)
        .returning(StockAlert.product_id, StockAlert.warehouse_id, StockAlert.id)
        .execution_options(synchronize_session=False)
    )
    return {(product, warehouse): alert_id for product, warehouse, alert_id in resolved}


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
