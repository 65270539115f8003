"""Putting jobs on the arq queue, only ever after the job row committed.

:func:`enqueue_after_commit` registers the job with the session; an ``after_commit`` hook
hands it to the queue once (and only if) the transaction commits. The hook runs inside
the event loop, so it schedules the enqueue as a task; should the process die before that
task ran, the sweeper (``jobs.tasks.requeue_stale_jobs``) enqueues the job later. arq's
job id is the job's id, so enqueueing twice is harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import structlog
from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from quartermaster.core.mail import QueuedMail

QUEUE_NAME = "qm:jobs"
# Enqueues push here; an idle worker blocks on it (BLPOP) instead of sleeping, so a new
# job starts within milliseconds without polling Redis tens of times a second.
WAKE_KEY = "qm:jobs:wake"
WAKE_BACKLOG = 64

_PENDING = "jobs.enqueue_after_commit"
log = structlog.stdlib.get_logger(__name__)
_in_flight: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class QueuedJob:
    kind: str
    tenant_id: uuid.UUID
    job_id: uuid.UUID


class JobQueue:
    """The arq queue, on an existing Redis connection pool."""

    def __init__(self, redis: Redis) -> None:
        self.redis = (
            redis
            if isinstance(redis, ArqRedis)
            else ArqRedis(pool_or_conn=redis.connection_pool, default_queue_name=QUEUE_NAME)
        )

    async def enqueue(self, *jobs: QueuedJob) -> int:
        """Enqueue each job under its own id (a job already queued or running is left
        alone); returns how many were new to the queue, then wakes idle workers."""
        added = 0
        for job in jobs:
            queued = await self.redis.enqueue_job(
                job.kind,
                str(job.tenant_id),
                str(job.job_id),
                _job_id=str(job.job_id),
                _queue_name=QUEUE_NAME,
            )
            added += queued is not None
        await self.wake(len(jobs))
        return added

    async def enqueue_task(self, function: str, *args: str, job_id: str) -> bool:
        """Enqueue one call of an arq task that is not a job row (mail); keyed by
        ``job_id``, so a call already queued or running is left alone. No wake-up: call
        :meth:`wake` once for a batch."""
        queued = await self.redis.enqueue_job(
            function, *args, _job_id=job_id, _queue_name=QUEUE_NAME
        )
        return queued is not None

    async def wake(self, count: int) -> None:
        """Wake up to ``count`` idle workers."""
        if count:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.lpush(WAKE_KEY, *([b"1"] * min(count, WAKE_BACKLOG)))
                pipe.ltrim(WAKE_KEY, 0, WAKE_BACKLOG - 1)
                pipe.pexpire(WAKE_KEY, 60_000)
                await pipe.execute()


# --- Mail (core/mail): committed messages go to the worker's `mail.send` task ----------

SEND_MAIL_TASK = "mail.send"


def mail_job_id(mail: QueuedMail) -> str:
    return f"mail:{mail.message_id}"


class MailQueue:
    """The job queue as the mail port's scheduler (``core.mail.MailScheduler``)."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    async def send_soon(self, mails: list[QueuedMail]) -> None:
        for mail in mails:
            await self.queue.enqueue_task(
                SEND_MAIL_TASK, mail.owner.render(), str(mail.message_id), job_id=mail_job_id(mail)
            )
        await self.queue.wake(len(mails))


def enqueue_after_commit(session: AsyncSession, queue: JobQueue, job: QueuedJob) -> None:
    """Enqueue ``job`` when the session's transaction commits; never if it rolls back."""
    sync_session = session.sync_session
    pending: list[tuple[JobQueue, QueuedJob]] = sync_session.info.setdefault(_PENDING, [])
    if not event.contains(sync_session, "after_commit", _after_commit):
        event.listen(sync_session, "after_commit", _after_commit)
        event.listen(sync_session, "after_rollback", _after_rollback)
    pending.append((queue, job))


def _after_rollback(sync_session: Session) -> None:
    sync_session.info.pop(_PENDING, None)


def _after_commit(sync_session: Session) -> None:
    pending: list[tuple[JobQueue, QueuedJob]] = sync_session.info.pop(_PENDING, [])
    if not pending:
        return
    by_queue: dict[int, tuple[JobQueue, list[QueuedJob]]] = {}
    for queue, job in pending:
        by_queue.setdefault(id(queue), (queue, []))[1].append(job)
    loop = asyncio.get_running_loop()
    for queue, jobs in by_queue.values():
        task = loop.create_task(_enqueue(queue, jobs))
        _in_flight.add(task)
        task.add_done_callback(_in_flight.discard)


async def _enqueue(queue: JobQueue, jobs: list[QueuedJob]) -> None:
    try:
        await queue.enqueue(*jobs)
    except Exception as exc:  # the sweeper enqueues them later
        log.warning(
            "job_enqueue_failed",
            jobs=[str(job.job_id) for job in jobs],
            error=str(exc),
            detail="the sweeper will enqueue them again",
        )


async def wait_for_enqueues() -> None:
    """Until every enqueue scheduled by a commit so far has been attempted (tests, CLI)."""
    while _in_flight:
        await asyncio.gather(*list(_in_flight), return_exceptions=True)
