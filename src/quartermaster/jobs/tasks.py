"""The jobs module's own schedules: the sweeper, file retention and outbox retention."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import structlog
from arq import Retry
from arq.constants import job_key_prefix
from arq.cron import CronJob
from arq.worker import Function, func
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.mail import (
    MailDelivery,
    MailOwner,
    QueuedMail,
    RetryLater,
    deliver,
    sweep,
)
from quartermaster.core.relay import prune_published_outbox
from quartermaster.core.settings import Settings
from quartermaster.jobs import repository
from quartermaster.jobs.enqueueing import SEND_MAIL_TASK, MailQueue, QueuedJob
from quartermaster.jobs.runtime import runtime_of
from quartermaster.jobs.scheduler import for_each_tenant, schedule
from quartermaster.jobs.worker import ARQ_MAX_TRIES

log = structlog.stdlib.get_logger(__name__)

SWEEP_BATCH = 500


async def requeue_stale_jobs(ctx: dict[str, Any]) -> int:
    """Every minute: enqueue again every job still ``queued`` after
    QM_JOBS_REQUEUE_AFTER_SECONDS (its enqueue was lost: a crash between commit and
    enqueue, or Redis lost its queue), and every ``running`` job arq no longer knows about
    (its worker gave up on it without recording an end). Enqueueing is keyed by job id,
    so a job that is in fact queued or running is left alone."""
    runtime = runtime_of(ctx)
    redis = runtime.queue.redis
    cutoff = utcnow() - timedelta(seconds=runtime.settings.jobs_requeue_after_seconds)

    async def sweep(session: AsyncSession, tenant_id: uuid.UUID) -> int:
        stale = await repository.stale_jobs(
            session, tenant_id, updated_before=cutoff, limit=SWEEP_BATCH
        )
        lost: list[QueuedJob] = []
        for job_id, kind, status in stale:
            if status == "running" and await redis.exists(job_key_prefix + str(job_id)):
                continue  # running, or waiting for its retry: arq holds it
            lost.append(QueuedJob(kind=kind, tenant_id=tenant_id, job_id=job_id))
        if lost:
            log.warning("jobs_requeued", jobs=[str(job.job_id) for job in lost])
        return await runtime.queue.enqueue(*lost)

    return await for_each_tenant(ctx, sweep, what="requeue_stale_jobs")


async def prune_job_files(ctx: dict[str, Any]) -> int:
    """Hourly: delete uploads and result files older than QM_JOBS_FILE_RETENTION_HOURS."""
    runtime = runtime_of(ctx)
    seconds = runtime.settings.jobs_file_retention_hours * 3600
    removed = await asyncio.to_thread(runtime.files.prune, seconds)
    log.info("job_files_pruned", removed=removed)
    return removed


async def prune_outbox(ctx: dict[str, Any]) -> int:
    """Hourly: delete outbox rows published more than QM_OUTBOX_RETENTION_HOURS ago, as the
    owner role (the relay's; it may delete every tenant's published events), in short
    batches (``core.relay.prune_published_outbox``)."""
    runtime = runtime_of(ctx)
    retention = timedelta(hours=runtime.settings.outbox_retention_hours)
    removed = await prune_published_outbox(runtime.owner_database, retention)
    log.info("outbox_pruned", removed=removed)
    return removed


# --- Mail (core/mail): sending queued messages, and the sweeper ------------------------


async def send_mail(ctx: dict[str, Any], owner: str, message_id: str) -> str:
    """One attempt at one queued message (``core.mail.deliver``: claimed, fenced, never
    twice). A failure that proves nothing was delivered comes back after its backoff."""
    runtime = runtime_of(ctx)
    queued = QueuedMail(owner=MailOwner.parse(owner), message_id=uuid.UUID(message_id))
    try:
        return await deliver(runtime.database, _mail_delivery(runtime.settings), queued)
    except RetryLater as later:
        raise Retry(defer=later.delay) from later


async def sweep_mail(ctx: dict[str, Any]) -> int:
    """Every minute: take back attempts whose worker died (queued again before the
    hand-over, ``uncertain`` during it) and hand every due queued message to the queue
    (lost enqueues, retries whose job was lost). As the owner role: every tenant's."""
    runtime = runtime_of(ctx)
    delivery = _mail_delivery(runtime.settings)
    if delivery.smtp is None:
        log.info("mail_not_configured", detail="QM_SMTP_URL is unset: queued mail waits")
    due = await sweep(runtime.owner_database, delivery)
    await MailQueue(runtime.queue).send_soon(due)
    return len(due)


def _mail_delivery(settings: Settings) -> MailDelivery:
    return MailDelivery.from_settings(settings)


TASKS: list[Function] = [func(send_mail, name=SEND_MAIL_TASK, max_tries=ARQ_MAX_TRIES)]


def schedules(settings: Settings) -> list[CronJob]:
    return [
        schedule(requeue_stale_jobs, name="jobs.requeue_stale_jobs", second=15),
        schedule(prune_job_files, name="jobs.prune_job_files", minute=5),
        schedule(prune_outbox, name="jobs.prune_outbox", minute=15),
        schedule(sweep_mail, name="mail.sweep", second=40),
    ]
