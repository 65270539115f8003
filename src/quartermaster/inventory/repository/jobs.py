"""Queries for inventory's background jobs: the movements export, row counts for export
progress, and the low-stock digest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.public import ProductRef
from quartermaster.inventory.models import (
    Location,
    StockAlert,
    StockLevel,
    StockMovement,
    Warehouse,
)
from quartermaster.inventory.repository.common import catalog_products
from quartermaster.inventory.repository.ledger import MovementFilter, _movement_conditions
from quartermaster.inventory.repository.levels import (
    LevelFilter,
    _level_query,
    available_total,
)


async def count_levels(session: AsyncSession, tenant_id: uuid.UUID, where: LevelFilter) -> int:
    query = _level_query([func.count()], tenant_id, where)
    return int(await session.scalar(query) or 0)


async def count_movements(
    session: AsyncSession, tenant_id: uuid.UUID, where: MovementFilter
) -> int:
    query = select(func.count()).where(*_movement_conditions(tenant_id, where))
    return int(await session.scalar(query) or 0)


@dataclass(frozen=True)
class ExportedMovement:
    recorded_at: datetime
    batch_id: uuid.UUID
    line_no: int
    kind: str
    product_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal | None
    from_warehouse: str | None
    from_location: str | None
    to_warehouse: str | None
    to_location: str | None
    reason: str | None
    reference: str | None
    note: str | None
    recorded_by: str


async def stream_movements(
    session: AsyncSession, tenant_id: uuid.UUID, where: MovementFilter, *, batch: int
) -> AsyncIterator[list[ExportedMovement]]:
    """Ledger lines in recording order with the warehouse and location codes on either
    side, ``batch`` rows at a time from a server-side cursor (constant memory)."""
    source, target = aliased(Location), aliased(Location)
    source_wh, target_wh = aliased(Warehouse), aliased(Warehouse)
    query = (
        select(
            StockMovement.recorded_at,
            StockMovement.batch_id,
            StockMovement.line_no,
            StockMovement.kind,
            StockMovement.product_id,
            StockMovement.quantity,
            StockMovement.unit_cost,
            source_wh.code.label("from_warehouse"),
            source.code.label("from_location"),
            target_wh.code.label("to_warehouse"),
            target.code.label("to_location"),
            StockMovement.reason,
            StockMovement.reference,
            StockMovement.note,
            StockMovement.recorded_by_label.label("recorded_by"),
        )
        .select_from(StockMovement)
        .outerjoin(
            source,
            (source.tenant_id == StockMovement.tenant_id)
            & (source.id == StockMovement.from_location_id),
        )
        .outerjoin(
            source_wh,
            (source_wh.tenant_id == source.tenant_id) & (source_wh.id == source.warehouse_id),
        )
        .outerjoin(
            target,
            (target.tenant_id == StockMovement.tenant_id)
            & (target.id == StockMovement.to_location_id),
        )
        .outerjoin(
            target_wh,
            (target_wh.tenant_id == target.tenant_id) & (target_wh.id == target.warehouse_id),
        )
        .where(*_movement_conditions(tenant_id, where))
        .order_by(StockMovement.recorded_at, StockMovement.id)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for partition in result.partitions():
        yield [ExportedMovement(**row._mapping) for row in partition]


# The low-stock digest


@dataclass(frozen=True)
class OpenAlertRow:
    alert_id: uuid.UUID
    status: str
    raised_at: datetime
    sku: str
    name: str
    warehouse_code: str
    available: Decimal
    reorder_point: Decimal


@dataclass(frozen=True)
class BelowReorderRow:
    product_id: uuid.UUID
    sku: str
    name: str
    available: Decimal
    reorder_point: Decimal


async def open_alert_product_ids(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """The products that have alerts not yet resolved."""
    query = (
        select(StockAlert.product_id)
        .where(StockAlert.tenant_id == tenant_id, StockAlert.status != "resolved")
        .distinct()
    )
    return list((await session.execute(query)).scalars())


async def open_alerts(
    session: AsyncSession, tenant_id: uuid.UUID, products: Iterable[ProductRef], *, limit: int
) -> tuple[int, list[OpenAlertRow]]:
    """(how many, the first ``limit`` by SKU) of the alerts not yet resolved, with the
    warehouse's available quantity now and the SKU, name and reorder point of
    ``products`` (the catalog's, for the products of :func:`open_alert_product_ids`)."""
    labels = catalog_products(products)
    unresolved = (StockAlert.tenant_id == tenant_id) & (StockAlert.status != "resolved")
    total = int(await session.scalar(select(func.count()).where(unresolved)) or 0)
    level, place = aliased(StockLevel), aliased(Location)
    available = (
        select(func.coalesce(func.sum(level.on_hand - level.reserved), 0))
        .select_from(level)
        .join(place, (place.tenant_id == level.tenant_id) & (place.id == level.location_id))
        .where(
            level.tenant_id == tenant_id,
            level.product_id == StockAlert.product_id,
            place.warehouse_id == StockAlert.warehouse_id,
        )
        .correlate(StockAlert)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            StockAlert.id.label("alert_id"),
            StockAlert.status,
            StockAlert.raised_at,
            labels.c.sku,
            labels.c.name,
            Warehouse.code.label("warehouse_code"),
            available.label("available"),
            labels.c.reorder_point,
        )
        .join(labels, labels.c.product_id == StockAlert.product_id)
        .join(
            Warehouse,
            (Warehouse.tenant_id == StockAlert.tenant_id)
            & (Warehouse.id == StockAlert.warehouse_id),
        )
        .where(unresolved)
        .order_by(func.lower(labels.c.sku), func.lower(Warehouse.code))
        .limit(limit)
    )
    return total, [OpenAlertRow(**row._mapping) for row in rows]


async def products_below_reorder(
    session: AsyncSession, tenant_id: uuid.UUID, products: Iterable[ProductRef], *, limit: int
) -> tuple[int, list[BelowReorderRow]]:
    """(how many, the first ``limit`` by SKU) of ``products`` (the catalog's products with a
    reorder point) whose available stock across all warehouses is at or below their
    reorder point."""
    points = labels = catalog_products(products)
    available = available_total(tenant_id, points.c.product_id)
    below = available <= points.c.reorder_point
    total = int(await session.scalar(select(func.count()).select_from(points).where(below)) or 0)
    rows = await session.execute(
        select(
            points.c.product_id,
            labels.c.sku,
            labels.c.name,
            available.label("available"),
            points.c.reorder_point,
        )
        .select_from(points)
        .where(below)
        .order_by(func.lower(labels.c.sku))
        .limit(limit)
    )
    return total, [BelowReorderRow(**row._mapping) for row in rows]


__all__ = [
    "BelowReorderRow",
    "ExportedMovement",
    "OpenAlertRow",
    "count_levels",
    "count_movements",
    "open_alert_product_ids",
    "open_alerts",
    "products_below_reorder",
    "stream_movements",
]
