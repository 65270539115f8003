"""Reading stock: levels (per location or totalled), one product's stock, history."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import products_by_ids, products_with_reorder_points
from quartermaster.core.pagination import (
    InvalidCursor,
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import ProductNotFound
from quartermaster.inventory.models import StockMovement
from quartermaster.inventory.schemas import (
    LevelGrouping,
    LevelRead,
    LevelTotal,
    LocationStock,
    MovementRead,
    ProductStock,
    Quantities,
    WarehouseStock,
)
from quartermaster.inventory.service.labels import labels_for, level_read, movement_read

_LEDGER_COLUMNS = tuple(
    name
    for name in MovementRead.model_fields
    if name not in ("sku", "product_name")
    and not name.endswith(("_location_code", "_warehouse_code"))
)


def _ledger_row(movement: StockMovement) -> dict[str, Any]:
    return {name: getattr(movement, name) for name in _LEDGER_COLUMNS}


async def with_reorder_points(
    session: AsyncSession, tenant_id: uuid.UUID, where: repository.LevelFilter
) -> repository.LevelFilter:
    """``where`` with the catalog's reorder points when it filters on them."""
    if where.below_reorder is None or where.reorder_points is not None:
        return where
    points = await products_with_reorder_points(session, tenant_id)
    return replace(where, reorder_points=tuple(points))


async def list_levels(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    where: repository.LevelFilter,
) -> Page[LevelRead]:
    where = await with_reorder_points(session, principal.tenant_id, where)
    rows, next_cursor = page.next_page(
        await repository.levels_page(
            session,
            principal.tenant_id,
            where,
            limit=page.fetch,
            after=page.after(uuid.UUID, uuid.UUID),
        ),
        lambda row: [row[0].product_id, row[0].location_id],
    )
    levels = [level for level, _ in rows]
    labels = await labels_for(
        session,
        principal.tenant_id,
        product_ids=[level.product_id for level in levels],
        location_ids=[level.location_id for level in levels],
    )
    return Page[LevelRead](
        items=[
            level_read(
                labels.products[level.product_id],
                labels.places[level.location_id],
                level.on_hand,
                level.reserved,
                level.updated_at,
            )
            for level in levels
        ],
        next_cursor=next_cursor,
    )


async def level_totals(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    where: repository.LevelFilter,
    group_by: LevelGrouping,
) -> Page[LevelTotal]:
    by_warehouse = group_by is LevelGrouping.WAREHOUSE
    # The cursor names its grouping, so one made for the other grouping is refused.
    after = page.after(str, uuid.UUID, uuid.UUID) if by_warehouse else page.after(str, uuid.UUID)
    if after is not None and after[0] != group_by.value:
        raise InvalidCursor
    where = await with_reorder_points(session, principal.tenant_id, where)
    totals, next_cursor = page.next_page(
        await repository.level_totals_page(
            session,
            principal.tenant_id,
            where,
            by_warehouse=by_warehouse,
            limit=page.fetch,
            after=after[1:] if after else None,
        ),
        lambda row: [group_by.value, row.product_id] + ([row.warehouse_id] if by_warehouse else []),
    )
    labels = await labels_for(
        session,
        principal.tenant_id,
        product_ids=[row.product_id for row in totals],
        warehouse_ids=[row.warehouse_id for row in totals if row.warehouse_id is not None],
    )
    return Page[LevelTotal](
        items=[
            LevelTotal(
                product_id=row.product_id,
                sku=labels.products[row.product_id].sku,
                product_name=labels.products[row.product_id].name,
                warehouse_id=row.warehouse_id,
                warehouse_code=(
                    labels.warehouse_codes[row.warehouse_id] if row.warehouse_id else None
                ),
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.on_hand - row.reserved,
            )
            for row in totals
        ],
        next_cursor=next_cursor,
    )


def _quantities(on_hand: Decimal, reserved: Decimal) -> Quantities:
    return Quantities(on_hand=on_hand, reserved=reserved, available=on_hand - reserved)


async def product_stock(
    session: AsyncSession, principal: Principal, product_id: uuid.UUID
) -> ProductStock:
    """One product across warehouses: per location, per warehouse and in total."""
    tenant_id = principal.tenant_id
    product = (await products_by_ids(session, tenant_id, [product_id])).get(product_id)
    if product is None:
        raise ProductNotFound
    warehouses: dict[uuid.UUID, WarehouseStock] = {}
    total_on_hand = total_reserved = Decimal(0)
    for level, location, warehouse in await repository.product_stock(
        session, tenant_id, product_id
    ):
        entry = warehouses.get(warehouse.id)
        if entry is None:
            entry = warehouses[warehouse.id] = WarehouseStock(
                warehouse_id=warehouse.id,
                code=warehouse.code,
                name=warehouse.name,
                on_hand=Decimal(0),
                reserved=Decimal(0),
                available=Decimal(0),
                locations=[],
            )
        entry.locations.append(
            LocationStock(
                location_id=location.id,
                code=location.code,
                name=location.name,
                **_quantities(level.on_hand, level.reserved).model_dump(),
            )
        )
        entry.on_hand += level.on_hand
        entry.reserved += level.reserved
        entry.available = entry.on_hand - entry.reserved
        total_on_hand += level.on_hand
        total_reserved += level.reserved
    return ProductStock(
        product_id=product.id,
        sku=product.sku,
        unit=product.unit,
        reorder_point=product.reorder_point,
        totals=_quantities(total_on_hand, total_reserved),
        warehouses=list(warehouses.values()),
    )


async def list_movements(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    where: repository.MovementFilter,
) -> Page[MovementRead]:
    """The ledger, newest first."""
    shown, next_cursor = page.next_page(
        await repository.movements_page(
            session,
            principal.tenant_id,
            where,
            limit=page.fetch,
            after=page.after(datetime, uuid.UUID),
        ),
        lambda m: [m.recorded_at, m.id],
    )
    labels = await labels_for(
        session,
        principal.tenant_id,
        product_ids=[m.product_id for m in shown],
        location_ids=[i for m in shown for i in (m.from_location_id, m.to_location_id)],
    )
    return Page[MovementRead](
        items=[movement_read(_ledger_row(m), labels.products, labels.places) for m in shown],
        next_cursor=next_cursor,
    )
