"""Schedules that visit every tenant: list the tenants (as the owner role, which may list
them when it asks — see the 0010_jobs migration), then do each tenant's work in its own
transaction as the application role, under row-level security. One tenant's failure is
logged and does not stop the others."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import structlog
from arq import cron
from arq.cron import CronJob
from arq.typing import OptionType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.identity.public import tenant_ids
from quartermaster.jobs.runtime import WorkerRuntime, runtime_of

if TYPE_CHECKING:
    from arq.typing import WorkerCoroutine

ALL_TENANTS_SETTING = "app.all_tenants"
# A schedule should finish well before its next run; the lease still covers crashes.
SCHEDULE_TIMEOUT_SECONDS = 50 * 60
# How long a schedule tick's result is kept in Redis. arq dedups a tick across workers by
# its job id (name + tick time) only while the job or its result exists: with no result
# kept, a worker that enqueues the tick after another worker already ran it (its loop was
# busy, or its clock behind) would run it again. A day covers any such delay.
SCHEDULE_RESULT_KEEP_SECONDS = 26 * 3600

log = structlog.stdlib.get_logger(__name__)

TenantWork = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]


async def all_tenant_ids(runtime: WorkerRuntime) -> list[uuid.UUID]:
    async with runtime.owner_database.transaction() as session:
        await session.execute(
            text("SELECT set_config(:name, 'on', true)"), {"name": ALL_TENANTS_SETTING}
        )
        return await tenant_ids(session)


async def for_each_tenant(ctx: dict[str, Any], work: TenantWork, *, what: str) -> int:
    """Run ``work(session, tenant_id)`` for every tenant, each in its own transaction
    scoped to that tenant; returns the sum of what ``work`` returned."""
    runtime = runtime_of(ctx)
    total = failed = 0
    tenants = await all_tenant_ids(runtime)
    for tenant_id in tenants:
        try:
            async with runtime.database.transaction(tenant_id) as session:
                total += await work(session, tenant_id)
        except Exception:
            failed += 1
            runtime.metrics.schedule_failures.labels(what).inc()
            log.exception("schedule_failed_for_tenant", schedule=what, tenant_id=str(tenant_id))
    runtime.metrics.schedule_items.labels(what).inc(total)
    log.info("schedule_ran", schedule=what, tenants=len(tenants), failed=failed, total=total)
    return total


def schedule(
    coroutine: Callable[[dict[str, Any]], Awaitable[Any]],
    *,
    name: str,
    hour: OptionType = None,
    minute: OptionType = None,
    second: OptionType = 0,
) -> CronJob:
    """An arq cron job that runs once per tick however many workers enqueue it: the tick's
    job id is unique (``unique=True``) and its result is kept, so a late worker's enqueue
    of a tick that already ran is refused (see SCHEDULE_RESULT_KEEP_SECONDS)."""
    return cron(
        cast("WorkerCoroutine", coroutine),
        name=name,
        hour=hour,
        minute=minute,
        second=second,
        unique=True,
        timeout=SCHEDULE_TIMEOUT_SECONDS,
        keep_result=SCHEDULE_RESULT_KEEP_SECONDS,
        max_tries=1,
    )
