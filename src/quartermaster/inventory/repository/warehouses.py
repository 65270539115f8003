"""Queries on warehouses and locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import keyset
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
    after: Sequence[Any] | None,
) -> list[Warehouse]:
    """By code (case-insensitive): the key is ``(lower(code), id)``."""
    query = select(Warehouse).where(Warehouse.tenant_id == tenant_id)
    if is_active is not None:
        query = query.where(Warehouse.is_active.is_(is_active))
    query = keyset(query, [func.lower(Warehouse.code), Warehouse.id], after, limit=limit)
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
    after: Sequence[Any] | None,
) -> list[Location]:
    """Locations by warehouse, then code (case-insensitive): the key is
    ``(warehouse_id, lower(code), id)``."""
    query = select(Location).where(Location.tenant_id == tenant_id)
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    key = [Location.warehouse_id, func.lower(Location.code), Location.id]
    query = keyset(query, key, after, limit=limit)
    return list((await session.execute(query)).scalars())
