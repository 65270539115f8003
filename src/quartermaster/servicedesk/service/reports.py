"""The ticket report: per day, week or month in a time zone — tickets created and
resolved, median first-response and resolution times (wall-clock), SLA breaches, and CSAT
responses with their average. Periods follow ``core.periods`` (the first contains
``from``; default range: the last 30 days)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.periods import PeriodError, period_range, report_zone
from quartermaster.identity.public import Principal
from quartermaster.servicedesk.errors import InvalidReportQuery
from quartermaster.servicedesk.repository.reports import ticket_report as report_rows
from quartermaster.servicedesk.schemas import ReportInterval, TicketBucket, TicketReport

DEFAULT_DAYS = 30


async def ticket_report(
    session: AsyncSession,
    principal: Principal,
    *,
    interval: ReportInterval,
    tz: str,
    created_from: datetime | None,
    created_to: datetime | None,
) -> TicketReport:
    end = created_to or utcnow()
    start = created_from or end - timedelta(days=DEFAULT_DAYS)
    try:
        zone = report_zone(tz)
        first, last = period_range(start, end, interval.value, zone)
    except PeriodError as exc:
        raise InvalidReportQuery(exc.field, exc.message, exc.kind) from exc
    rows = await report_rows(
        session,
        principal.tenant_id,
        interval=interval.value,
        time_zone=tz,
        first=first,
        last=last,
        start=start,
        end=end,
    )
    return TicketReport(
        interval=interval,
        tz=tz,
        created_from=start,
        created_to=end,
        buckets=[
            TicketBucket(
                start=row.period_start.astimezone(zone),
                created=row.created,
                resolved=row.resolved,
                first_responses=row.first_responses,
                median_first_response_seconds=_seconds(row.first_response_seconds),
                median_resolution_seconds=_seconds(row.resolution_seconds),
                breaches=row.breaches,
                csat_responses=row.csat_responses,
                csat_average=(
                    Decimal(row.csat_average).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    if row.csat_average is not None
                    else None
                ),
            )
            for row in rows
        ],
    )


def _seconds(value: float | None) -> int | None:
    return round(value) if value is not None else None
