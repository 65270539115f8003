"""The ticket report's one statement: every figure bucketed by calendar period in the
report's time zone (``date_trunc`` of the local time), joined onto ``generate_series`` so
empty periods are listed too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

STEPS = {"day": "1 day", "week": "7 days", "month": "1 month"}

# Each figure counts in the period of its own moment, so a period's figures are final
# once it is over: created by creation; the median first response (created to the first
# public agent reply) by the reply's period; resolved and the median resolution time
# (created to resolved) by resolution; breaches by the period they were marked; ratings
# by answer. Each time counts when from ≤ t < to. Times are wall-clock (pending and
# nights included); the SLA clocks are the business-hours view.
_REPORT = text(
    """
WITH periods AS (
    SELECT generate_series(CAST(:first AS timestamp), CAST(:last AS timestamp),
                           CAST(CAST(:step AS text) AS interval)) AS period
), created AS (
    SELECT date_trunc(:unit, timezone(:tz, created_at)) AS period, count(*) AS created
    FROM tickets
    WHERE tenant_id = :tenant AND created_at >= :start AND created_at < :end
    GROUP BY 1
), responded AS (
    SELECT date_trunc(:unit, timezone(:tz, first_responded_at)) AS period,
           count(*) AS first_responses,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM first_responded_at - created_at)) AS first_response
    FROM tickets
    WHERE tenant_id = :tenant AND first_responded_at >= :start AND first_responded_at < :end
    GROUP BY 1
), resolved AS (
    SELECT date_trunc(:unit, timezone(:tz, resolved_at)) AS period,
           count(*) AS resolved,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM resolved_at - created_at)) AS resolution
    FROM tickets
    WHERE tenant_id = :tenant AND resolved_at >= :start AND resolved_at < :end
    GROUP BY 1
), breaches AS (
    SELECT date_trunc(:unit, timezone(:tz, breached_at)) AS period, count(*) AS breaches
    FROM tickets
    WHERE tenant_id = :tenant AND breached_at >= :start AND breached_at < :end
    GROUP BY 1
), ratings AS (
    SELECT date_trunc(:unit, timezone(:tz, answered_at)) AS period,
           count(*) AS responses, avg(score) AS average
    FROM csat_surveys
    WHERE tenant_id = :tenant AND answered_at >= :start AND answered_at < :end
    GROUP BY 1
)
SELECT timezone(:tz, periods.period) AS period_start,
       coalesce(created.created, 0) AS created,
       coalesce(resolved.resolved, 0) AS resolved,
       coalesce(responded.first_responses, 0) AS first_responses,
       responded.first_response, resolved.resolution,
       coalesce(breaches.breaches, 0) AS breaches,
       coalesce(ratings.responses, 0) AS csat_responses, ratings.average AS csat_average
FROM periods
LEFT JOIN created ON created.period = periods.period
LEFT JOIN responded ON responded.period = periods.period
LEFT JOIN resolved ON resolved.period = periods.period
LEFT JOIN breaches ON breaches.period = periods.period
LEFT JOIN ratings ON ratings.period = periods.period
ORDER BY periods.period
"""
)


@dataclass(frozen=True)
class ReportRow:
    period_start: datetime
    created: int
    resolved: int
    first_responses: int
    first_response_seconds: float | None
    resolution_seconds: float | None
    breaches: int
    csat_responses: int
    csat_average: Decimal | None


async def ticket_report(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    interval: str,
    time_zone: str,
    first: datetime,
    last: datetime,
    start: datetime,
    end: datetime,
) -> list[ReportRow]:
    rows = await session.execute(
        _REPORT,
        {
            "tenant": tenant_id,
            "tz": time_zone,
            "unit": interval,
            "step": STEPS[interval],
            "first": first,
            "last": last,
            "start": start,
            "end": end,
        },
    )
    return [
        ReportRow(
            period_start=row.period_start,
            created=int(row.created),
            resolved=int(row.resolved),
            first_responses=int(row.first_responses),
            first_response_seconds=row.first_response,
            resolution_seconds=row.resolution,
            breaches=int(row.breaches),
            csat_responses=int(row.csat_responses),
            csat_average=row.csat_average,
        )
        for row in rows
    ]
