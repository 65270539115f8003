"""The movement report: stock in and out per day, week or month, for charts.

Periods are calendar periods in the report's time zone (UTC unless ``tz`` names another):
a day starts at 00:00, a week on Monday at 00:00, a month on the 1st at 00:00. The first
period is the one containing ``from``; periods follow while they start before ``to``; a
line counts when ``from ≤ recorded_at < to`` (so the first and last periods may be
partial). Every period is listed, empty ones with zeros.

In and out are seen from a scope: the organization, or one warehouse (``warehouse_id``).
A line comes in when its destination is in the scope and its source is not (receipts,
positive adjustments and counts, transfers from another warehouse), and goes out in the
opposite case (issues, fulfilments, negative adjustments and counts, transfers to another
warehouse). Transfers inside the scope move nothing in or out.
"""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core import periods
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import InvalidReportQuery
from quartermaster.inventory.schemas_reports import (
    FlowTotals,
    MovementBucket,
    MovementReport,
    ReportInterval,
)


def period_range(
    recorded_from: datetime, recorded_to: datetime, interval: ReportInterval, zone: tzinfo
) -> tuple[datetime, datetime]:
    """(first, last) naive wall-clock period starts in ``zone`` covering [from, to)
    (``core.periods``); 422 naming the parameter when they do not make a report."""
    try:
        return periods.period_range(recorded_from, recorded_to, interval.value, zone)
    except periods.PeriodError as exc:
        raise InvalidReportQuery(exc.field, exc.message, exc.kind) from exc


def _zone(name: str) -> tzinfo:
    try:
        return periods.report_zone(name)
    except periods.PeriodError as exc:
        raise InvalidReportQuery(exc.field, exc.message, exc.kind) from exc


async def movement_report(
    session: AsyncSession,
    principal: Principal,
    *,
    interval: ReportInterval,
    recorded_from: datetime,
    recorded_to: datetime,
    tz: str,
    product_id: uuid.UUID | None,
    warehouse_id: uuid.UUID | None,
) -> MovementReport:
    """In and out quantities per period (see the module's docstring), one SQL statement.
    Quantities of different products are added as they are; filter by product for a
    figure in one unit."""
    zone = _zone(tz)
    first, last = period_range(recorded_from, recorded_to, interval, zone)
    rows = await repository.movement_flows(
        session,
        principal.tenant_id,
        repository.FlowFilter(
            recorded_from=recorded_from,
            recorded_to=recorded_to,
            product_id=product_id,
            warehouse_id=warehouse_id,
        ),
        interval=interval.value,
        time_zone=tz,
        first=first,
        last=last,
    )
    buckets = [
        MovementBucket(
            period_start=row.period_start.astimezone(zone),
            quantity_in=row.quantity_in,
            quantity_out=row.quantity_out,
            net=row.quantity_in - row.quantity_out,
        )
        for row in rows
    ]
    total_in = sum((row.quantity_in for row in rows), Decimal(0))
    total_out = sum((row.quantity_out for row in rows), Decimal(0))
    return MovementReport(
        interval=interval,
        tz=tz,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
        product_id=product_id,
        warehouse_id=warehouse_id,
        buckets=buckets,
        total=FlowTotals(quantity_in=total_in, quantity_out=total_out, net=total_in - total_out),
    )
