"""Inventory's background jobs: stock exports, the low-stock digest, and the schedules
that expire reservations and prune idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from arq.cron import CronJob
from arq.worker import Function
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.settings import Settings
from quartermaster.inventory.repository import LevelFilter, MovementFilter
from quartermaster.inventory.service import digest, exports
from quartermaster.inventory.service.digest import LOW_STOCK_DIGEST
from quartermaster.inventory.service.exports import MOVEMENTS_EXPORT, STOCK_LEVELS_EXPORT
from quartermaster.inventory.service.idempotency import prune_idempotency_keys
from quartermaster.inventory.service.reservations import release_expired_reservations
from quartermaster.jobs.public import (
    JobOutput,
    JobRun,
    for_each_tenant,
    job_task,
    runtime_of,
    schedule,
    submit_job,
)

CSV = "text/csv; charset=utf-8"


def _uuid(params: dict[str, Any], name: str) -> uuid.UUID | None:
    value = params.get(name)
    return uuid.UUID(str(value)) if value else None


def _datetime(params: dict[str, Any], name: str) -> datetime | None:
    value = params.get(name)
    return datetime.fromisoformat(str(value)) if value else None


async def run_stock_levels_export(run: JobRun) -> JobOutput:
    params = run.params
    where = LevelFilter(
        product_id=_uuid(params, "product_id"),
        warehouse_id=_uuid(params, "warehouse_id"),
        location_id=_uuid(params, "location_id"),
        below_reorder=params.get("below_reorder"),
    )
    name = run.result_name(".csv")
    rows = await exports.write_level_csv(
        run.database, run.tenant_id, where, run.files.resolve(name), run.report_progress
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return JobOutput(
        result={"rows": rows, "file_name": f"stock-levels-{stamp}.csv", "media_type": CSV},
        output_file=name,
    )


async def run_movements_export(run: JobRun) -> JobOutput:
    params = run.params
    where = MovementFilter(
        product_id=_uuid(params, "product_id"),
        warehouse_id=_uuid(params, "warehouse_id"),
        location_id=_uuid(params, "location_id"),
        kind=params.get("kind"),
        recorded_from=_datetime(params, "from"),
        recorded_to=_datetime(params, "to"),
    )
    name = run.result_name(".csv")
    rows = await exports.write_movement_csv(
        run.database, run.tenant_id, where, run.files.resolve(name), run.report_progress
    )
    start, end = (where.recorded_from, where.recorded_to)
    span = f"{start:%Y%m%d}-{end:%Y%m%d}" if start and end else utcnow().strftime("%Y%m%d")
    return JobOutput(
        result={"rows": rows, "file_name": f"movements-{span}.csv", "media_type": CSV},
        output_file=name,
    )


async def run_low_stock_digest(run: JobRun) -> JobOutput:
    async with run.database.transaction(run.tenant_id) as session:
        result = await digest.low_stock_digest(session, run.tenant_id)
    return JobOutput(result=result)


# Schedules


async def expire_reservations(ctx: dict[str, Any]) -> int:
    """Every minute: release every tenant's reservations whose expiry has passed."""

    async def release(session: AsyncSession, tenant_id: uuid.UUID) -> int:
        return await release_expired_reservations(session, tenant_id, utcnow())

    return await for_each_tenant(ctx, release, what="expire_reservations")


async def prune_old_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Hourly: delete Idempotency-Key records older than QM_IDEMPOTENCY_KEY_RETENTION_HOURS
    (at least 24 h)."""
    hours = runtime_of(ctx).settings.idempotency_key_retention_hours
    older_than = utcnow() - timedelta(hours=hours)

    async def prune(session: AsyncSession, tenant_id: uuid.UUID) -> int:
        return await prune_idempotency_keys(session, older_than)

    return await for_each_tenant(ctx, prune, what="prune_idempotency_keys")


async def schedule_low_stock_digests(ctx: dict[str, Any]) -> int:
    """Daily: queue one low-stock digest job per tenant that uses reorder points (at most
    one per tenant and day, however often this runs)."""
    queue = runtime_of(ctx).queue
    day = utcnow().date().isoformat()

    async def submit(session: AsyncSession, tenant_id: uuid.UUID) -> int:
        if not await digest.has_reorder_points(session, tenant_id):
            return 0
        job = await submit_job(
            session, queue, tenant_id, LOW_STOCK_DIGEST, params={"day": day}, dedup_key=day
        )
        return 0 if job is None else 1

    return await for_each_tenant(ctx, submit, what="schedule_low_stock_digests")


TASKS: list[Function] = [
    job_task(STOCK_LEVELS_EXPORT, run_stock_levels_export),
    job_task(MOVEMENTS_EXPORT, run_movements_export),
    job_task(LOW_STOCK_DIGEST, run_low_stock_digest),
]


def schedules(settings: Settings) -> list[CronJob]:
    return [
        schedule(expire_reservations, name="inventory.expire_reservations", second=30),
        schedule(prune_old_idempotency_keys, name="inventory.prune_idempotency_keys", minute=25),
        schedule(
            schedule_low_stock_digests,
            name="inventory.schedule_low_stock_digests",
            hour=settings.jobs_low_stock_digest_hour,
            minute=0,
        ),
    ]
