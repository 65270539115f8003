"""Queries on valuation: the locked moving-average costs and the stock-value report."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import Location, ProductCost, StockLevel, Warehouse

# Moving-average costs


async def lock_product_costs(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID], at: datetime
) -> dict[uuid.UUID, Decimal | None]:
    """Lock the cost rows of ``product_ids`` FOR UPDATE in product_id order, creating the
    missing ones first. Returns product id → average cost, or None for a row this call
    created (the product had no cost yet); the caller writes every row it locked.

    A row created here holds a placeholder 0 until the caller's write; a concurrent
    inserter of the same product waits on it and then finds the row (ON CONFLICT DO
    NOTHING), so two first receipts of one product are folded one after the other."""
    if not product_ids:
        return {}
    ordered = sorted(set(product_ids))
    created = set(
        (
            await session.execute(
                insert(ProductCost)
                .values(
                    [
                        {
                            "tenant_id": tenant_id,
                            "product_id": product_id,
                            "average_cost": Decimal(0),
                            "updated_at": at,
                        }
                        for product_id in ordered
                    ]
                )
                .on_conflict_do_nothing()
                .returning(ProductCost.product_id)
            )
        ).scalars()
    )
    rows = await session.execute(
        select(ProductCost.product_id, ProductCost.average_cost)
        .where(ProductCost.tenant_id == tenant_id, ProductCost.product_id.in_(ordered))
        .order_by(ProductCost.product_id)
        .with_for_update()
    )
    return {
        product_id: None if product_id in created else average_cost
        for product_id, average_cost in rows
    }


async def set_product_costs(
    session: AsyncSession, tenant_id: uuid.UUID, costs: Mapping[uuid.UUID, Decimal], at: datetime
) -> None:
    """New average costs for rows this transaction has locked."""
    for product_id, average_cost in sorted(costs.items()):
        await session.execute(
            update(ProductCost)
            .where(ProductCost.tenant_id == tenant_id, ProductCost.product_id == product_id)
            .values(average_cost=average_cost, updated_at=at)
            .execution_options(synchronize_session=False)
        )


async def on_hand_totals(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """product id → Σ on_hand over all the tenant's locations, as this transaction sees it
    (its own writes included); products without level rows are absent."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand))
        .where(StockLevel.tenant_id == tenant_id, StockLevel.product_id.in_(list(product_ids)))
        .group_by(StockLevel.product_id)
    )
    return {product_id: Decimal(total) for product_id, total in rows}


# Stock value


@dataclass(frozen=True)
class StockValueRow:
    """One group of the stock-value report, unrounded: Σ on_hand, Σ on_hand * average
    cost (products with a cost), Σ on_hand of products without a cost."""

    key: uuid.UUID | None
    quantity: Decimal
    value: Decimal
    unvalued_quantity: Decimal


def _valued_levels(tenant_id: uuid.UUID, key: Any, warehouse_id: uuid.UUID | None) -> Select[Any]:
    """Σ over the tenant's level rows grouped by ``key`` (a column of the levels, their
    locations or a joined table); the caller adds the joins ``key`` needs."""
    unvalued = func.sum(StockLevel.on_hand).filter(ProductCost.product_id.is_(None))
    query = (
        select(
            key.label("key"),
            func.sum(StockLevel.on_hand).label("quantity"),
            func.coalesce(func.sum(StockLevel.on_hand * ProductCost.average_cost), 0).label(
                "value"
            ),
            func.coalesce(unvalued, 0).label("unvalued_quantity"),
        )
        .select_from(StockLevel)
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .outerjoin(
            ProductCost,
            (ProductCost.tenant_id == StockLevel.tenant_id)
            & (ProductCost.product_id == StockLevel.product_id),
        )
        .where(StockLevel.tenant_id == tenant_id)
        .group_by(key)
    )
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    return query


def _value_rows(rows: Any) -> list[StockValueRow]:
    return [
        StockValueRow(
            key=row.key,
            quantity=Decimal(row.quantity),
            value=Decimal(row.value),
            unvalued_quantity=Decimal(row.unvalued_quantity),
        )
        for row in rows
    ]


async def stock_value_by_warehouse(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_id: uuid.UUID | None
) -> list[tuple[StockValueRow, Warehouse]]:
    """One row per warehouse that has level rows, ordered by code (case-insensitively)."""
    grouped = _valued_levels(tenant_id, Location.warehouse_id, warehouse_id).subquery()
    rows = (
        await session.execute(
            select(grouped, Warehouse)
            .join(Warehouse, (Warehouse.tenant_id == tenant_id) & (Warehouse.id == grouped.c.key))
            .order_by(func.lower(Warehouse.code), Warehouse.id)
        )
    ).all()
    return [(value, row.Warehouse) for value, row in zip(_value_rows(rows), rows, strict=True)]


async def stock_value_by_product(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_id: uuid.UUID | None
) -> list[StockValueRow]:
    """One row per product that has level rows (``key``: the product id), unordered; the
    service groups them by the catalog's categories."""
    query = _valued_levels(tenant_id, StockLevel.product_id, warehouse_id)
    return _value_rows(await session.execute(query))
