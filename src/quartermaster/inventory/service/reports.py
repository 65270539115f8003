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
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import InvalidReportQuery
from quartermaster.inventory.schemas_reports import (
    FlowTotals,
    MovementBucket,
    MovementReport,
    ReportInterval,
)

MAX_PERIODS = 366


@cache
def _time_zones() -> frozenset[str]:
    # "localtime" is the host's zone, a file name rather than an IANA name: PostgreSQL
    # does not know it.
    return frozenset(available_timezones() - {"localtime"})


def _zone(name: str) -> tzinfo:
    # UTC needs no time zone database (slim containers may have none).
    if name == "UTC":
        return UTC
    if name not in _time_zones():
        raise InvalidReportQuery(
            "tz", f"'{name}' is not an IANA time zone name (e.g. Europe/Berlin).", "time_zone"
        )
    return ZoneInfo(name)


def _period_start(moment: datetime, interval: ReportInterval) -> datetime:
    """The naive wall-clock start of the period containing ``moment`` (naive)."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval is ReportInterval.WEEK:
        return day - timedelta(days=day.weekday())
    if interval is ReportInterval.MONTH:
        return day.replace(day=1)
    return day


def _next_period(start: datetime, interval: ReportInterval) -> datetime | None:
    """The start of the period after ``start``; None past the end of year 9999 (the
    period containing a time at the end of 9999 is the last one there is)."""
    try:
        if interval is ReportInterval.DAY:
            return start + timedelta(days=1)
        if interval is ReportInterval.WEEK:
            return start + timedelta(days=7)
        year, month = divmod(start.month, 12)
        return start.replace(year=start.year + year, month=month + 1)
    except (OverflowError, ValueError):
        return None


def _local(moment: datetime, zone: tzinfo, field: str) -> datetime:
    """``moment``'s naive wall-clock time in ``zone``; 422 when that falls past 9999-12-31
    (a time at the very end of 9999 in UTC, in a zone ahead of UTC)."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None)
    except OverflowError as exc:
        raise InvalidReportQuery(
            field, "Falls after the year 9999 in the report's time zone.", "out_of_range"
        ) from exc


def period_range(
    recorded_from: datetime, recorded_to: datetime, interval: ReportInterval, zone: tzinfo
) -> tuple[datetime, datetime]:
    """(first, last) naive wall-clock period starts in ``zone`` covering [from, to); 422
    when ``to`` is not after ``from`` or the range spans more than MAX_PERIODS periods."""
    if recorded_to <= recorded_from:
        raise InvalidReportQuery("to", "Must be later than from.", "range_empty")
    local_from, local_to = _local(recorded_from, zone, "from"), _local(recorded_to, zone, "to")
    first = last = _period_start(local_from, interval)
    count = 1
    while (following := _next_period(last, interval)) is not None and following < local_to:
        last = following
        count += 1
        if count > MAX_PERIODS:
            raise InvalidReportQuery(
                "to",
                f"At most {MAX_PERIODS} periods per report; from and to span more "
                f"{interval.value}s. Use a longer interval or a shorter range.",
                "too_many_periods",
            )
    return first, last


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
