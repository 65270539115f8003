"""Queries on warehouses and locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import (
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import (
    Location,
    Warehouse,
)

# Warehouses


async def warehouse_by_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Warehouse | None:
    query = select(Warehouse).where(Warehouse.tenant_id == tenant_id, Warehouse.id == warehouse_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def warehouses_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    is_active: bool | None,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> list[Warehouse]:
    key = func.lower(Warehouse.code)
    query = (
        select(Warehouse)
        .where(Warehouse.tenant_id == tenant_id)
        .order_by(key, Warehouse.id)
        .limit(limit)
    )
    if is_active is not None:
        query = query.where(Warehouse.is_active.is_(is_active))
    if after is not None:
        query = query.where(tuple_(key, Warehouse.id) > tuple_(after[0], after[1]))
    return list((await session.execute(query)).scalars())


async def warehouse_codes(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """id → code of the tenant's warehouses among ``warehouse_ids``."""
    rows = await session.execute(
        select(Warehouse.id, Warehouse.code).where(
            Warehouse.tenant_id == tenant_id, Warehouse.id.in_(list(warehouse_ids))
        )
    )
    return {row.id: row.code for row in rows}


async def default_location_ids(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """warehouse id → its default location's id."""
    if not warehouse_ids:
        return {}
    rows = await session.execute(
        select(Location.warehouse_id, Location.id).where(
            Location.tenant_id == tenant_id,
            Location.warehouse_id.in_(list(warehouse_ids)),
            Location.is_default,
        )
    )
    return {row[0]: row[1] for row in rows}


# Locations


async def location_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, location_id: uuid.UUID, *, for_update: bool = False
) -> Location | None:
    query = select(Location).where(Location.tenant_id == tenant_id, Location.id == location_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def locations_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    warehouse_id: uuid.UUID | None,
    limit: int,
    after: tuple[uuid.UUID, str, uuid.UUID] | None,
) -> list[Location]:
    """Locations by warehouse, then code (case-insensitive)."""
    key = func.lower(Location.code)
    query = (
        select(Location)
        .where(Location.tenant_id == tenant_id)
        .order_by(Location.warehouse_id, key, Location.id)
        .limit(limit)
    )
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    if after is not None:
        query = query.where(
            tuple_(Location.warehouse_id, key, Location.id) > tuple_(after[0], after[1], after[2])
        )
    return list((await session.execute(query)).scalars())
