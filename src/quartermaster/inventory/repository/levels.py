"""Queries on stock levels: the locked write path, availability, reads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    any_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.public import ProductRef
from quartermaster.core.pagination import keyset
from quartermaster.inventory.models import (
    Location,
    StockLevel,
    StockMovement,
    Warehouse,
)
from quartermaster.inventory.repository.common import LevelKey, catalog_products

# Stock levels


def available_total(
    tenant_id: uuid.UUID, product_id: SQLColumnExpression[uuid.UUID]
) -> ColumnElement[Decimal]:
    """Σ (on_hand - reserved) of a product over all the tenant's locations, as a SQL
    expression correlated to ``product_id`` (0 when it has no level rows)."""
    return (
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0))
        .where(StockLevel.tenant_id == tenant_id, StockLevel.product_id == product_id)
        .correlate_except(StockLevel)
        .scalar_subquery()
    )


async def available_totals(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """product id → Σ (on_hand - reserved) over all the tenant's locations, for those of
    ``product_ids`` that have level rows (the others have 0 available)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .where(
            StockLevel.tenant_id == tenant_id,
            StockLevel.product_id == any_(literal(list(product_ids), type_=ARRAY(PG_UUID))),
        )
        .group_by(StockLevel.product_id)
    )
    return {row[0]: row[1] for row in rows.all()}


async def ledger_on_hand_as_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    location_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
    as_of: datetime,
) -> dict[uuid.UUID, Decimal]:
    """product id → Σ to - Σ from at one location over ledger rows recorded at or before
    ``as_of`` (products without rows are absent)."""
    if not product_ids:
        return {}
    delta = case(
        (StockMovement.to_location_id == location_id, StockMovement.quantity),
        else_=-StockMovement.quantity,
    )
    rows = await session.execute(
        select(StockMovement.product_id, func.sum(delta))
        .where(
            StockMovement.tenant_id == tenant_id,
            StockMovement.product_id.in_(list(product_ids)),
            or_(
                StockMovement.from_location_id == location_id,
                StockMovement.to_location_id == location_id,
            ),
            StockMovement.recorded_at <= as_of,
        )
        .group_by(StockMovement.product_id)
    )
    return {row[0]: Decimal(row[1]) for row in rows}


async def movements_since(
    session: AsyncSession, tenant_id: uuid.UUID, location_id: uuid.UUID, since: datetime
) -> dict[uuid.UUID, int]:
    """product id → how many ledger lines into or out of one location were recorded after
    ``since`` (products without any are absent)."""
    rows = await session.execute(
        select(StockMovement.product_id, func.count())
        .where(
            StockMovement.tenant_id == tenant_id,
            or_(
                StockMovement.from_location_id == location_id,
                StockMovement.to_location_id == location_id,
            ),
            StockMovement.recorded_at > since,
        )
        .group_by(StockMovement.product_id)
    )
    return {row[0]: row[1] for row in rows}


@dataclass(frozen=True)
class LevelFilter:
    product_id: uuid.UUID | None = None
    warehouse_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    # True: only rows whose product has a reorder point and whose available stock is at
    # or below it; False: only the others. Compared per warehouse (as alerts are), or per
    # product across the organization when ``reorder_across_warehouses``.
    below_reorder: bool | None = None
    reorder_across_warehouses: bool = False
    # The catalog's products with a reorder point, which ``below_reorder`` compares with
    # (the service loads them: ``service.levels.with_reorder_points``).
    reorder_points: tuple[ProductRef, ...] | None = None


def _below_reorder(tenant_id: uuid.UUID, where: LevelFilter) -> ColumnElement[bool]:
    if where.reorder_points is None:
        raise ValueError("below_reorder needs the catalog's reorder points")
    points = catalog_products(where.reorder_points)
    other = aliased(StockLevel)
    place = aliased(Location)
    same_product = [other.tenant_id == tenant_id, other.product_id == StockLevel.product_id]
    available = select(func.coalesce(func.sum(other.on_hand - other.reserved), 0))
    if where.reorder_across_warehouses:
        available = available.where(*same_product)
    else:
        available = available.join(
            place, (place.tenant_id == other.tenant_id) & (place.id == other.location_id)
        ).where(*same_product, place.warehouse_id == Location.warehouse_id)
    below = exists().where(
        points.c.product_id == StockLevel.product_id,
        available.correlate_except(other, place).scalar_subquery() <= points.c.reorder_point,
    )
    return below if where.below_reorder else not_(below)


def _level_query(columns: Sequence[Any], tenant_id: uuid.UUID, where: LevelFilter) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(StockLevel)
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .where(StockLevel.tenant_id == tenant_id)
    )
    if where.product_id is not None:
        query = query.where(StockLevel.product_id == where.product_id)
    if where.location_id is not None:
        query = query.where(StockLevel.location_id == where.location_id)
    if where.warehouse_id is not None:
        query = query.where(Location.warehouse_id == where.warehouse_id)
    if where.below_reorder is not None:
        query = query.where(_below_reorder(tenant_id, where))
    return query


async def levels_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: LevelFilter,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[tuple[StockLevel, uuid.UUID]]:
    """(level, warehouse id); the key is ``(product_id, location_id)``."""
    query = keyset(
        _level_query([StockLevel, Location.warehouse_id], tenant_id, where),
        [StockLevel.product_id, StockLevel.location_id],
        after,
        limit=limit,
    )
    rows = await session.execute(query)
    return [(level, warehouse_id) for level, warehouse_id in rows]


async def levels_of(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey]
) -> list[tuple[StockLevel, uuid.UUID]]:
    if not keys:
        return []
    query = (
        _level_query([StockLevel, Location.warehouse_id], tenant_id, LevelFilter())
        .where(tuple_(StockLevel.product_id, StockLevel.location_id).in_(list(keys)))
        .order_by(StockLevel.product_id, StockLevel.location_id)
    )
    rows = await session.execute(query)
    return [(level, warehouse_id) for level, warehouse_id in rows]


@dataclass(frozen=True)
class Totals:
    product_id: uuid.UUID
    warehouse_id: uuid.UUID | None
    on_hand: Decimal
    reserved: Decimal


async def level_totals_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: LevelFilter,
    *,
    by_warehouse: bool,
    limit: int,
    after: Sequence[Any] | None,
) -> list[Totals]:
    """Sums per product, or per (product, warehouse): the key."""
    keys: list[Any] = [StockLevel.product_id]
    if by_warehouse:
        keys.append(Location.warehouse_id)
    grouped = (
        _level_query(
            [
                *keys,
                func.sum(StockLevel.on_hand).label("on_hand"),
                func.sum(StockLevel.reserved).label("reserved"),
            ],
            tenant_id,
            where,
        )
        .group_by(*keys)
        .subquery()
    )
    key_columns = [grouped.c.product_id] + ([grouped.c.warehouse_id] if by_warehouse else [])
    query = keyset(select(grouped), key_columns, after, limit=limit)
    rows = (await session.execute(query)).mappings()
    return [
        Totals(
            product_id=row["product_id"],
            warehouse_id=row["warehouse_id"] if by_warehouse else None,
            on_hand=row["on_hand"],
            reserved=row["reserved"],
        )
        for row in rows
    ]


async def product_stock(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> list[tuple[StockLevel, Location, Warehouse]]:
    """Every level row of one product with its location and warehouse."""
    rows = await session.execute(
        select(StockLevel, Location, Warehouse)
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .join(
            Warehouse,
            (Warehouse.tenant_id == Location.tenant_id) & (Warehouse.id == Location.warehouse_id),
        )
        .where(StockLevel.tenant_id == tenant_id, StockLevel.product_id == product_id)
        .order_by(func.lower(Warehouse.code), Warehouse.id, func.lower(Location.code), Location.id)
    )
    return [(level, location, warehouse) for level, location, warehouse in rows]


@dataclass(frozen=True)
class ExportedLevel:
    sku: str
    name: str
    unit: str
    warehouse_code: str
    location_code: str
    on_hand: Decimal
    reserved: Decimal
    updated_at: datetime


async def level_product_ids(
    session: AsyncSession, tenant_id: uuid.UUID, where: LevelFilter
) -> list[uuid.UUID]:
    """The products that have level rows under ``where``."""
    query = _level_query([StockLevel.product_id], tenant_id, where).distinct()
    return list((await session.execute(query)).scalars())


async def stream_levels(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: LevelFilter,
    products: Iterable[ProductRef],
    *,
    batch: int,
) -> AsyncIterator[list[ExportedLevel]]:
    """Level rows of ``products`` (the catalog's, for their SKU, name and unit) with the
    warehouse and location codes, ordered by warehouse, location and SKU, ``batch`` rows
    at a time from a server-side cursor (constant memory however many rows)."""
    labels = catalog_products(products)
    query = (
        _level_query(
            [
                labels.c.sku,
                labels.c.name,
                labels.c.unit,
                Warehouse.code.label("warehouse_code"),
                Location.code.label("location_code"),
                StockLevel.on_hand,
                StockLevel.reserved,
                StockLevel.updated_at,
            ],
            tenant_id,
            where,
        )
        .join(
            Warehouse,
            (Warehouse.tenant_id == Location.tenant_id) & (Warehouse.id == Location.warehouse_id),
        )
        .join(labels, labels.c.product_id == StockLevel.product_id)
        .order_by(
            func.lower(Warehouse.code),
            func.lower(Location.code),
            func.lower(labels.c.sku),
            StockLevel.product_id,
        )
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for partition in result.partitions():
        yield [ExportedLevel(**row._mapping) for row in partition]
