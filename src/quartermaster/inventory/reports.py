"""Inventory reports over HTTP: /reports/stock-value and /reports/movements (included by
``inventory.router``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from quartermaster.core.db import SessionDep
from quartermaster.core.inputs import Timestamp
from quartermaster.inventory.params import InventoryRead
from quartermaster.inventory.schemas_reports import (
    MovementReport,
    ReportInterval,
    StockValueByCategory,
    StockValueByWarehouse,
    StockValueGrouping,
)
from quartermaster.inventory.service import reports, valuation

reports_router = APIRouter(prefix="/reports", tags=["reports"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Parameters that do not make a report"}
}


@reports_router.get(
    "/stock-value",
    response_model=StockValueByWarehouse | StockValueByCategory,
    summary="Stock quantity and value (moving-average cost) per warehouse or category",
)
async def stock_value(
    principal: InventoryRead,
    session: SessionDep,
    group_by: Annotated[StockValueGrouping, Query()] = StockValueGrouping.WAREHOUSE,
    warehouse_id: Annotated[
        uuid.UUID | None, Query(description="Only the stock of this warehouse")
    ] = None,
) -> StockValueByWarehouse | StockValueByCategory:
    return await valuation.stock_value(session, principal, group_by, warehouse_id)


@reports_router.get(
    "/movements",
    response_model=MovementReport,
    summary="Stock in and out per day, week or month (every period listed)",
    responses=INVALID,
)
async def movement_report(
    principal: InventoryRead,
    session: SessionDep,
    recorded_from: Annotated[
        Timestamp, Query(alias="from", description="recorded_at ≥ this (with an offset)")
    ],
    recorded_to: Annotated[
        Timestamp, Query(alias="to", description="recorded_at < this (with an offset)")
    ],
    interval: Annotated[ReportInterval, Query()] = ReportInterval.DAY,
    tz: Annotated[
        str,
        Query(max_length=64, description="IANA time zone the periods follow, e.g. Europe/Berlin"),
    ] = "UTC",
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[
        uuid.UUID | None,
        Query(description="Seen from this warehouse: transfers across its boundary count"),
    ] = None,
) -> MovementReport:
    return await reports.movement_report(
        session,
        principal,
        interval=interval,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
        tz=tz,
        product_id=product_id,
        warehouse_id=warehouse_id,
    )
