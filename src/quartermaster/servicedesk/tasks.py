"""The service desk's background work: the SLA breach check, every minute."""

from __future__ import annotations

import uuid
from typing import Any

from arq.cron import CronJob
from arq.worker import Function
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.settings import Settings
from quartermaster.jobs.public import for_each_tenant, schedule
from quartermaster.servicedesk.service.sla import mark_breaches


async def check_sla_breaches(ctx: dict[str, Any]) -> int:
    """Every minute: mark every tenant's tickets that missed an SLA target, once each,
    with a ``servicedesk.ticket.sla_breached`` event."""

    async def check(session: AsyncSession, tenant_id: uuid.UUID) -> int:
        return await mark_breaches(session, tenant_id, utcnow())

    return await for_each_tenant(ctx, check, what="check_sla_breaches")


TASKS: list[Function] = []


def schedules(settings: Settings) -> list[CronJob]:
    return [schedule(check_sla_breaches, name="servicedesk.check_sla_breaches", second=15)]
