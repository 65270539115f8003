"""Queries of the movement report: in/out quantities per period, aggregated in SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Interval,
    and_,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.inventory.models import Location, StockMovement

# date_trunc's field for each interval, and the step between two period starts.
PERIOD_FIELDS = {"day": "day", "week": "week", "month": "month"}
PERIOD_STEPS = {"day": "1 day", "week": "7 days", "month": "1 month"}


@dataclass(frozen=True)
class FlowFilter:
    recorded_from: datetime
    recorded_to: datetime
    product_id: uuid.UUID | None = None
    warehouse_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FlowRow:
    period_start: datetime
    quantity_in: Decimal
    quantity_out: Decimal


def _directions(
    where: FlowFilter,
) -> tuple[list[Any], ColumnElement[bool], ColumnElement[bool], list[ColumnElement[bool]]]:
    """(outer joins, "into the scope", "out of the scope", extra conditions).

    The scope is the organization (every location), or one warehouse's locations. A line
    comes in when its destination is in the scope and its source is not; it goes out in
    the opposite case. So transfers never count for the organization, and count for a
    warehouse only when they cross its boundary."""
    if where.warehouse_id is None:
        return (
            [],
            and_(
                StockMovement.to_location_id.is_not(None), StockMovement.from_location_id.is_(None)
            ),
            and_(
                StockMovement.from_location_id.is_not(None), StockMovement.to_location_id.is_(None)
            ),
            [],
        )
    source, target = aliased(Location), aliased(Location)
    joins = [
        (
            source,
            (source.tenant_id == StockMovement.tenant_id)
            & (source.id == StockMovement.from_location_id),
        ),
        (
            target,
            (target.tenant_id == StockMovement.tenant_id)
            & (target.id == StockMovement.to_location_id),
        ),
    ]
    from_inside = source.warehouse_id.is_not_distinct_from(where.warehouse_id)
    to_inside = target.warehouse_id.is_not_distinct_from(where.warehouse_id)
    return (
        joins,
        and_(to_inside, not_(from_inside)),
        and_(from_inside, not_(to_inside)),
        [or_(from_inside, to_inside)],
    )


async def movement_flows(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: FlowFilter,
    *,
    interval: str,
    time_zone: str,
    first: datetime,
    last: datetime,
) -> list[FlowRow]:
    """One row per period from ``first`` to ``last`` (naive wall-clock period starts in
    ``time_zone``), empty periods included, in order: Σ quantity in and out of the scope
    over ledger lines recorded in [recorded_from, recorded_to). One statement: the lines
    are bucketed with date_trunc in the time zone and joined onto generate_series."""
    joins, into, out_of, conditions = _directions(where)
    local_period = func.date_trunc(
        literal(PERIOD_FIELDS[interval]), func.timezone(time_zone, StockMovement.recorded_at)
    )
    lines = select(
        local_period.label("period"),
        StockMovement.quantity.label("quantity"),
        into.label("is_in"),
        out_of.label("is_out"),
    ).select_from(StockMovement)
    for target, on in joins:
        lines = lines.outerjoin(target, on)
    lines = lines.where(
        StockMovement.tenant_id == tenant_id,
        StockMovement.recorded_at >= where.recorded_from,
        StockMovement.recorded_at < where.recorded_to,
        *conditions,
    )
    if where.product_id is not None:
        lines = lines.where(StockMovement.product_id == where.product_id)
    moved = lines.subquery("moved")
    flows = (
        select(
            moved.c.period,
            func.sum(moved.c.quantity).filter(moved.c.is_in).label("quantity_in"),
            func.sum(moved.c.quantity).filter(moved.c.is_out).label("quantity_out"),
        )
        .group_by(moved.c.period)
        .subquery("flows")
    )
    periods = (
        func.generate_series(
            cast(literal(first), DateTime(timezone=False)),
            cast(literal(last), DateTime(timezone=False)),
            cast(literal(PERIOD_STEPS[interval]), Interval()),
        )
        .table_valued("period")
        .render_derived(name="periods")
    )
    rows = await session.execute(
        select(
            func.timezone(time_zone, periods.c.period).label("period_start"),
            func.coalesce(flows.c.quantity_in, 0).label("quantity_in"),
            func.coalesce(flows.c.quantity_out, 0).label("quantity_out"),
        )
        .select_from(periods.outerjoin(flows, flows.c.period == periods.c.period))
        .order_by(periods.c.period)
    )
    return [
        FlowRow(row.period_start, Decimal(row.quantity_in), Decimal(row.quantity_out))
        for row in rows
    ]
