"""Warehouses (each with a default location) and their locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.concurrency import check_if_match
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import (
    LocationCodeTaken,
    LocationNotFound,
    UnknownWarehouse,
    WarehouseCodeTaken,
    WarehouseNotFound,
)
from quartermaster.inventory.events import InventoryEvents
from quartermaster.inventory.models import Location, Warehouse
from quartermaster.inventory.schemas import (
    LocationCreate,
    LocationRead,
    LocationUpdate,
    WarehouseCreate,
    WarehouseRead,
    WarehouseUpdate,
)

DEFAULT_LOCATION_CODE = "DEFAULT"


def warehouse_read(warehouse: Warehouse, default_location_id: uuid.UUID) -> WarehouseRead:
    return WarehouseRead(
        id=warehouse.id,
        code=warehouse.code,
        name=warehouse.name,
        address=warehouse.address,
        is_active=warehouse.is_active,
        default_location_id=default_location_id,
        version=warehouse.version,
        created_at=warehouse.created_at,
        updated_at=warehouse.updated_at,
    )


def location_read(location: Location) -> LocationRead:
    return LocationRead(
        id=location.id,
        warehouse_id=location.warehouse_id,
        code=location.code,
        name=location.name,
        is_default=location.is_default,
        allow_negative=location.allow_negative,
        version=location.version,
        created_at=location.created_at,
        updated_at=location.updated_at,
    )


async def _flush(
    session: AsyncSession, *, warehouse_code: str = "", location_code: str = ""
) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        constraint = repository.violated_constraint(exc)
        if constraint == "uq_warehouses_tenant_id_lower_code":
            raise WarehouseCodeTaken(warehouse_code) from exc
        if constraint == "uq_locations_tenant_id_warehouse_id_lower_code":
            raise LocationCodeTaken(location_code) from exc
        raise


async def _default_location_id(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_id: uuid.UUID
) -> uuid.UUID:
    return (await repository.default_location_ids(session, tenant_id, [warehouse_id]))[warehouse_id]


async def create_warehouse(
    session: AsyncSession, principal: Principal, data: WarehouseCreate
) -> WarehouseRead:
    """Create a warehouse and its default location (code DEFAULT); warehouse codes are
    unique in the tenant, case-insensitively."""
    tenant_id = principal.tenant_id
    now = utcnow()
    warehouse = Warehouse(
        id=new_id(),
        tenant_id=tenant_id,
        code=data.code,
        name=data.name,
        address=data.address,
        is_active=data.is_active,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, warehouse)
    await _flush(session, warehouse_code=data.code)
    location = Location(
        id=new_id(),
        tenant_id=tenant_id,
        warehouse_id=warehouse.id,
        code=DEFAULT_LOCATION_CODE,
        name=f"{data.name} (default)"[:200],
        is_default=True,
        allow_negative=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, location)
    await _flush(session)
    read = warehouse_read(warehouse, location.id)
    await emit(session, tenant_id, InventoryEvents.WAREHOUSE_CREATED, read)
    await emit(session, tenant_id, InventoryEvents.LOCATION_CREATED, location_read(location))
    return read


async def get_warehouse(
    session: AsyncSession, principal: Principal, warehouse_id: uuid.UUID
) -> WarehouseRead:
    warehouse = await repository.warehouse_by_id(session, principal.tenant_id, warehouse_id)
    if warehouse is None:
        raise WarehouseNotFound
    return warehouse_read(
        warehouse, await _default_location_id(session, principal.tenant_id, warehouse.id)
    )


async def update_warehouse(
    session: AsyncSession,
    principal: Principal,
    warehouse_id: uuid.UUID,
    data: WarehouseUpdate,
    if_match: str | None,
) -> WarehouseRead:
    """Change a warehouse (412 on a stale If-Match); an effective change increments the
    version and emits ``inventory.warehouse.updated``."""
    tenant_id = principal.tenant_id
    warehouse = await repository.warehouse_by_id(session, tenant_id, warehouse_id, for_update=True)
    if warehouse is None:
        raise WarehouseNotFound
    check_if_match(if_match, warehouse.version, what="warehouse")
    changes: dict[str, Any] = {
        name: value for name, value in data.changes().items() if getattr(warehouse, name) != value
    }
    default_location_id = await _default_location_id(session, tenant_id, warehouse.id)
    if not changes:
        return warehouse_read(warehouse, default_location_id)
    for name, value in changes.items():
        setattr(warehouse, name, value)
    warehouse.version += 1
    warehouse.updated_at = utcnow()
    await _flush(session, warehouse_code=warehouse.code)
    read = warehouse_read(warehouse, default_location_id)
    await emit(session, tenant_id, InventoryEvents.WAREHOUSE_UPDATED, read)
    return read


async def list_warehouses(
    session: AsyncSession, principal: Principal, page: PageParams, *, is_active: bool | None
) -> Page[WarehouseRead]:
    tenant_id = principal.tenant_id
    shown, next_cursor = page.next_page(
        await repository.warehouses_page(
            session,
            tenant_id,
            is_active=is_active,
            limit=page.fetch,
            after=page.after(str, uuid.UUID),
        ),
        lambda w: [w.code.lower(), w.id],
    )
    defaults = await repository.default_location_ids(session, tenant_id, [w.id for w in shown])
    return Page[WarehouseRead](
        items=[warehouse_read(w, defaults[w.id]) for w in shown], next_cursor=next_cursor
    )


async def create_location(
    session: AsyncSession, principal: Principal, data: LocationCreate
) -> LocationRead:
    """Add a location to a warehouse; codes are unique within the warehouse,
    case-insensitively. An unknown warehouse in the body is 422."""
    tenant_id = principal.tenant_id
    if await repository.warehouse_by_id(session, tenant_id, data.warehouse_id) is None:
        raise UnknownWarehouse
    now = utcnow()
    location = Location(
        id=new_id(),
        tenant_id=tenant_id,
        warehouse_id=data.warehouse_id,
        code=data.code,
        name=data.name,
        is_default=False,
        allow_negative=data.allow_negative,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, location)
    await _flush(session, location_code=data.code)
    read = location_read(location)
    await emit(session, tenant_id, InventoryEvents.LOCATION_CREATED, read)
    return read


async def locations_with_warehouses(
    session: AsyncSession, principal: Principal, location_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, repository.Place]:
    """The tenant's locations among ``location_ids`` with their warehouses, in the shape
    the ledger writer (``movements.post_ledger``) takes; unknown ids are absent."""
    return await repository.locations_with_warehouses(session, principal.tenant_id, location_ids)


async def get_location(
    session: AsyncSession, principal: Principal, location_id: uuid.UUID
) -> LocationRead:
    location = await repository.location_by_id(session, principal.tenant_id, location_id)
    if location is None:
        raise LocationNotFound
    return location_read(location)


async def update_location(
    session: AsyncSession,
    principal: Principal,
    location_id: uuid.UUID,
    data: LocationUpdate,
    if_match: str | None,
) -> LocationRead:
    """Rename a location or change whether it may go negative (412 on a stale If-Match).
    Turning allow_negative off does not touch existing levels; it refuses further
    withdrawals beyond what is available."""
    tenant_id = principal.tenant_id
    location = await repository.location_by_id(session, tenant_id, location_id, for_update=True)
    if location is None:
        raise LocationNotFound
    check_if_match(if_match, location.version, what="location")
    changes = {
        name: value for name, value in data.changes().items() if getattr(location, name) != value
    }
    if not changes:
        return location_read(location)
    for name, value in changes.items():
        setattr(location, name, value)
    location.version += 1
    location.updated_at = utcnow()
    await _flush(session, location_code=location.code)
    read = location_read(location)
    await emit(session, tenant_id, InventoryEvents.LOCATION_UPDATED, read)
    return read


async def list_locations(
    session: AsyncSession, principal: Principal, page: PageParams, *, warehouse_id: uuid.UUID | None
) -> Page[LocationRead]:
    locations, next_cursor = page.next_page(
        await repository.locations_page(
            session,
            principal.tenant_id,
            warehouse_id=warehouse_id,
            limit=page.fetch,
            after=page.after(uuid.UUID, str, uuid.UUID),
        ),
        lambda loc: [loc.warehouse_id, loc.code.lower(), loc.id],
    )
    return Page[LocationRead](
        items=[location_read(loc) for loc in locations], next_cursor=next_cursor
    )
