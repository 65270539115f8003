"""Inventory HTTP API: /warehouses, /locations, /stock/movements, /stock/levels,
/stock/reservations, /stock/counts, /stock/alerts and /products/{id}/stock."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from quartermaster.core.concurrency import IfMatch, etag
from quartermaster.core.db import SessionDep, get_database
from quartermaster.core.inputs import QueryFlag, Timestamp
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import CONFLICT, NOT_FOUND, STALE
from quartermaster.core.urls import API
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.inventory.export_jobs import export_jobs_router
from quartermaster.inventory.params import IdempotentWriteDep, InventoryRead, LevelFilterDep
from quartermaster.inventory.reports import reports_router
from quartermaster.inventory.repository import LevelFilter, MovementFilter
from quartermaster.inventory.schemas import (
    AlertRead,
    AlertStatus,
    CountRead,
    CountRequest,
    LevelGrouping,
    LevelRead,
    LevelTotal,
    LocationCreate,
    LocationRead,
    LocationUpdate,
    MovementBatchRead,
    MovementKind,
    MovementRead,
    MovementRequest,
    ProductStock,
    ReservationCreate,
    ReservationFulfil,
    ReservationRead,
    ReservationResult,
    ReservationStatus,
    WarehouseCreate,
    WarehouseRead,
    WarehouseUpdate,
)
from quartermaster.inventory.service import (
    alerts,
    counts,
    exports,
    levels,
    movements,
    reservations,
    warehouses,
)

StockWrite = Annotated[Principal, Depends(require(Permission.STOCK_WRITE))]
ReservationsWrite = Annotated[Principal, Depends(require(Permission.RESERVATIONS_WRITE))]
WarehousesWrite = Annotated[Principal, Depends(require(Permission.WAREHOUSES_WRITE))]

warehouses_router = APIRouter(prefix="/warehouses", tags=["warehouses"])
locations_router = APIRouter(prefix="/locations", tags=["locations"])
stock_router = APIRouter(prefix="/stock", tags=["stock"])
product_stock_router = APIRouter(prefix="/products", tags=["stock"])
exports_router = APIRouter(prefix="/exports", tags=["exports"])


# Warehouses


@warehouses_router.get("", response_model=Page[WarehouseRead], summary="Warehouses")
async def list_warehouses(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    is_active: Annotated[QueryFlag | None, Query()] = None,
) -> Page[WarehouseRead]:
    return await warehouses.list_warehouses(session, principal, page, is_active=is_active)


@warehouses_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WarehouseRead,
    summary="Create a warehouse (with its default location)",
    responses=CONFLICT,
)
async def create_warehouse(
    data: WarehouseCreate, principal: WarehousesWrite, session: SessionDep, response: Response
) -> WarehouseRead:
    warehouse = await warehouses.create_warehouse(session, principal, data)
    response.headers["Location"] = f"{API}/warehouses/{warehouse.id}"
    response.headers["ETag"] = etag(warehouse.version)
    return warehouse


@warehouses_router.get(
    "/{warehouse_id}", response_model=WarehouseRead, summary="A warehouse", responses=NOT_FOUND
)
async def get_warehouse(
    warehouse_id: uuid.UUID, principal: InventoryRead, session: SessionDep, response: Response
) -> WarehouseRead:
    warehouse = await warehouses.get_warehouse(session, principal, warehouse_id)
    response.headers["ETag"] = etag(warehouse.version)
    return warehouse


@warehouses_router.patch(
    "/{warehouse_id}",
    response_model=WarehouseRead,
    summary="Change a warehouse",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_warehouse(
    warehouse_id: uuid.UUID,
    data: WarehouseUpdate,
    principal: WarehousesWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> WarehouseRead:
    warehouse = await warehouses.update_warehouse(session, principal, warehouse_id, data, if_match)
    response.headers["ETag"] = etag(warehouse.version)
    return warehouse


# Locations


@locations_router.get("", response_model=Page[LocationRead], summary="Locations")
async def list_locations(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    warehouse_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[LocationRead]:
    return await warehouses.list_locations(session, principal, page, warehouse_id=warehouse_id)


@locations_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LocationRead,
    summary="Add a location to a warehouse",
    responses=CONFLICT,
)
async def create_location(
    data: LocationCreate, principal: WarehousesWrite, session: SessionDep, response: Response
) -> LocationRead:
    location = await warehouses.create_location(session, principal, data)
    response.headers["Location"] = f"{API}/locations/{location.id}"
    response.headers["ETag"] = etag(location.version)
    return location


@locations_router.get(
    "/{location_id}", response_model=LocationRead, summary="A location", responses=NOT_FOUND
)
async def get_location(
    location_id: uuid.UUID, principal: InventoryRead, session: SessionDep, response: Response
) -> LocationRead:
    location = await warehouses.get_location(session, principal, location_id)
    response.headers["ETag"] = etag(location.version)
    return location


@locations_router.patch(
    "/{location_id}",
    response_model=LocationRead,
    summary="Change a location",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_location(
    location_id: uuid.UUID,
    data: LocationUpdate,
    principal: WarehousesWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> LocationRead:
    location = await warehouses.update_location(session, principal, location_id, data, if_match)
    response.headers["ETag"] = etag(location.version)
    return location


# Stock


@stock_router.post(
    "/movements",
    status_code=status.HTTP_201_CREATED,
    response_model=MovementBatchRead,
    summary="Record one movement or an atomic batch (Idempotency-Key supported)",
    responses={
        409: {"description": "Insufficient stock, archived product, or a reused key"},
        422: {"description": "A line cannot be recorded as written"},
    },
)
async def record_movements(
    data: MovementRequest,
    principal: StockWrite,
    session: SessionDep,
    once: IdempotentWriteDep,
) -> Response:
    return await once.respond(
        principal,
        data,
        status.HTTP_201_CREATED,
        lambda: movements.record_movements(session, principal, data),
        location=f"{API}/stock/movements?batch_id={{id}}",
    )


@stock_router.get("/movements", response_model=Page[MovementRead], summary="Stock movement history")
async def list_movements(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[
        uuid.UUID | None, Query(description="Movements into or out of this location")
    ] = None,
    warehouse_id: Annotated[
        uuid.UUID | None, Query(description="Movements into or out of this warehouse")
    ] = None,
    kind: Annotated[MovementKind | None, Query()] = None,
    reference: Annotated[str | None, Query(max_length=200)] = None,
    batch_id: Annotated[uuid.UUID | None, Query()] = None,
    recorded_from: Annotated[
        Timestamp | None, Query(alias="from", description="recorded_at ≥ this")
    ] = None,
    recorded_to: Annotated[
        Timestamp | None, Query(alias="to", description="recorded_at < this")
    ] = None,
) -> Page[MovementRead]:
    where = MovementFilter(
        product_id=product_id,
        location_id=location_id,
        warehouse_id=warehouse_id,
        kind=kind.value if kind else None,
        reference=reference,
        batch_id=batch_id,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
    )
    return await levels.list_movements(session, principal, page, where)


@stock_router.get(
    "/levels",
    response_model=Page[LevelRead] | Page[LevelTotal],
    summary="Stock levels per (product, location), or totals with group_by",
)
async def list_levels(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
    below_reorder: Annotated[
        QueryFlag | None,
        Query(
            description="true: only products with a reorder point whose available stock is "
            "at or below it (per warehouse, as alerts are; across warehouses with "
            "group_by=product); false: only the others"
        ),
    ] = None,
    group_by: Annotated[
        LevelGrouping | None,
        Query(description="product: totals per product; warehouse: per product and warehouse"),
    ] = None,
) -> Page[LevelRead] | Page[LevelTotal]:
    where = LevelFilter(
        product_id=product_id,
        warehouse_id=warehouse_id,
        location_id=location_id,
        below_reorder=below_reorder,
        reorder_across_warehouses=group_by is LevelGrouping.PRODUCT,
    )
    if group_by is None:
        return await levels.list_levels(session, principal, page, where)
    return await levels.level_totals(session, principal, page, where, group_by)


@exports_router.get(
    "/stock-levels.csv",
    response_class=StreamingResponse,
    summary="Stock levels as CSV (streamed; the filters of GET /stock/levels)",
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_stock_levels(
    principal: InventoryRead,
    request: Request,
    where: LevelFilterDep,
) -> StreamingResponse:
    return StreamingResponse(
        exports.level_csv(get_database(request), principal.tenant_id, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="stock-levels.csv"'},
    )


@product_stock_router.get(
    "/{product_id}/stock",
    response_model=ProductStock,
    summary="One product's stock across warehouses",
    responses=NOT_FOUND,
)
async def product_stock(
    product_id: uuid.UUID, principal: InventoryRead, session: SessionDep
) -> ProductStock:
    return await levels.product_stock(session, principal, product_id)


# Reservations


@stock_router.post(
    "/reservations",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationResult,
    summary="Reserve stock at a location (Idempotency-Key supported)",
    responses={
        409: {"description": "Insufficient stock, or a reused key"},
        422: {"description": "Cannot be reserved as written"},
    },
)
async def create_reservation(
    data: ReservationCreate,
    principal: ReservationsWrite,
    session: SessionDep,
    once: IdempotentWriteDep,
) -> Response:
    return await once.respond(
        principal,
        data,
        status.HTTP_201_CREATED,
        lambda: reservations.create_reservation(session, principal, data),
        location=f"{API}/stock/reservations/{{id}}",
    )


@stock_router.get("/reservations", response_model=Page[ReservationRead], summary="Reservations")
async def list_reservations(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[ReservationStatus | None, Query()] = None,
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[ReservationRead]:
    return await reservations.list_reservations(
        session, principal, page, status=status, product_id=product_id, location_id=location_id
    )


@stock_router.get(
    "/reservations/{reservation_id}",
    response_model=ReservationRead,
    summary="A reservation",
    responses=NOT_FOUND,
)
async def get_reservation(
    reservation_id: uuid.UUID, principal: InventoryRead, session: SessionDep
) -> ReservationRead:
    return await reservations.get_reservation(session, principal, reservation_id)


@stock_router.post(
    "/reservations/{reservation_id}/fulfil",
    response_model=ReservationResult,
    summary="Fulfil a reservation (all of it, or a quantity): issue its stock atomically",
    responses={
        **NOT_FOUND,
        409: {"description": "The reservation is not active, or not enough stock"},
        422: {"description": "A quantity above what is open, or an unknown field"},
    },
)
async def fulfil_reservation(
    reservation_id: uuid.UUID,
    principal: ReservationsWrite,
    session: SessionDep,
    data: Annotated[ReservationFulfil | None, Body()] = None,
) -> ReservationResult:
    return await reservations.fulfil_reservation(session, principal, reservation_id, data)


@stock_router.delete(
    "/reservations/{reservation_id}",
    response_model=ReservationResult,
    summary="Release a reservation",
    responses={**NOT_FOUND, 409: {"description": "The reservation is not active"}},
)
async def release_reservation(
    reservation_id: uuid.UUID, principal: ReservationsWrite, session: SessionDep
) -> ReservationResult:
    return await reservations.release_reservation(session, principal, reservation_id)


# Counts


@stock_router.post(
    "/counts",
    response_model=CountRead,
    summary="Apply a stock count taken at counted_at (Idempotency-Key supported)",
    responses={
        409: {"description": "Insufficient stock for a decrease, or a reused key"},
        422: {"description": "The count cannot be applied as written"},
    },
)
async def record_count(
    data: CountRequest,
    principal: StockWrite,
    session: SessionDep,
    once: IdempotentWriteDep,
) -> Response:
    return await once.respond(
        principal, data, status.HTTP_200_OK, lambda: counts.record_count(session, principal, data)
    )


# Alerts


@stock_router.get("/alerts", response_model=Page[AlertRead], summary="Reorder alerts")
async def list_alerts(
    principal: InventoryRead,
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[AlertStatus | None, Query()] = None,
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AlertRead]:
    return await alerts.list_alerts(
        session, principal, page, status=status, product_id=product_id, warehouse_id=warehouse_id
    )


@stock_router.get(
    "/alerts/{alert_id}", response_model=AlertRead, summary="A reorder alert", responses=NOT_FOUND
)
async def get_alert(
    alert_id: uuid.UUID, principal: InventoryRead, session: SessionDep
) -> AlertRead:
    return await alerts.get_alert(session, principal, alert_id)


@stock_router.post(
    "/alerts/{alert_id}/acknowledge",
    response_model=AlertRead,
    summary="Acknowledge an open alert",
    responses={**NOT_FOUND, 409: {"description": "The alert is not open"}},
)
async def acknowledge_alert(
    alert_id: uuid.UUID, principal: StockWrite, session: SessionDep
) -> AlertRead:
    return await alerts.acknowledge_alert(session, principal, alert_id)


# The app includes each of these at /api/v1 (one level of routers: FastAPI matches a
# request against nested routers once per level).
routers = [
    stock_router,
    warehouses_router,
    locations_router,
    product_stock_router,
    exports_router,
    export_jobs_router,  # exports as background jobs (export_jobs.py)
    reports_router,  # valuation and movement reports (reports.py)
]
