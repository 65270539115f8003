"""The arq worker: short, renewed leases; woken by enqueues; our settings.

arq marks a started job with ``arq:in-progress:<job id>`` (TTL: the longest job timeout
+ 10 s by default) and leaves the job in its queue until it ends; a worker skips queued
jobs whose in-progress key exists. If the worker dies, the job therefore runs again only
when that key expires — by default long after the crash. :class:`LeasedWorker` makes the
key a *lease*: set to ``QM_JOBS_LEASE_SECONDS`` when the job starts and renewed every
third of that by a heartbeat task while it runs. A SIGKILLed worker stops renewing, and
another worker starts the job within about one lease (plus one poll). A worker that is
merely slow (its event loop blocked past the lease) can lose the lease to another one
while still running; the fencing token on the job row (see ``jobs.runner``) stops the old
attempt at its next checkpoint, so two attempts never both write.

Retries are ours, not arq's: arq's ``max_tries`` is set out of reach and the job row's
``attempts`` decides when to give up (``QM_JOBS_MAX_ATTEMPTS``), so one number covers
crashes and transient errors alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import Any

import structlog
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.cron import CronJob
from arq.worker import Function, Worker
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from quartermaster.core.db import Database, job_limits
from quartermaster.core.mail import attach_mail_scheduler
from quartermaster.core.metrics import pool_metrics_of
from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import QUEUE_NAME, WAKE_KEY, JobQueue, MailQueue
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.metrics import JobMetrics
from quartermaster.jobs.runtime import RUNTIME_KEY, WorkerRuntime

log = structlog.stdlib.get_logger(__name__)

# arq's own retry limit, out of reach: the job row's attempts decide (see module doc).
ARQ_MAX_TRIES = 10_000
# arq's per-job timeout is a backstop; the runner's own timeout ends a job cleanly first.
ARQ_TIMEOUT_MARGIN = 60
BURST_POLL_SECONDS = 0.05


# How often a worker samples the queue's length for ``qm_jobs_queued``.
QUEUE_SAMPLE_SECONDS = 5.0


class LeasedWorker(Worker):
    """PRIVATE INTERNALS of arq's ``Worker`` (pyproject.toml caps arq below 0.29 for them;
    tests/jobs/test_arq_internals.py fails when they move): ``in_progress_timeout_s``
    (the lease), ``_poll_iteration`` (the wake-up below) and, in :meth:`close`,
    ``_handle_signals``, ``_pool``, ``tasks``. Measured gain of the wake-up: enqueue → start
    p95 2.7 ms (docs/benchmarks.md, Jobs, 2026-11-23 15:01) against ~500 ms with arq's
    own 0.5 s polling."""

    def __init__(
        self,
        *args: Any,
        lease_seconds: float,
        idle_wait: float,
        metrics: JobMetrics | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lease_seconds = lease_seconds
        self.in_progress_timeout_s = lease_seconds  # what start_jobs sets the key's TTL to
        self.idle_wait = idle_wait
        self.metrics = metrics or JobMetrics()
        self._sampled_at = 0.0

    async def run_job(self, job_id: str, score: int) -> None:
        heartbeat = asyncio.create_task(self._renew_lease(job_id))
        try:
            await super().run_job(job_id, score)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _renew_lease(self, job_id: str) -> None:
        key = in_progress_key_prefix + job_id
        lease_ms = int(self.lease_seconds * 1000)
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                # PEXPIRE does nothing once the key is gone (the job ended).
                await self.pool.pexpire(key, lease_ms)
            except RedisError as exc:
                log.warning("job_lease_renewal_failed", job_id=job_id, error=str(exc))

    async def close(self) -> None:
        """arq's close, except that a job cancelled while arq was recording its end (its
        ``run_job`` then ends with CancelledError) does not abort the shutdown half-way,
        and the pool is closed with ``aclose``."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        await self.pool.aclose(close_connection_pool=True)
        self._pool = None

    async def _poll_iteration(self) -> None:
        await super()._poll_iteration()
        await self._sample_queue()
        if self.burst or not self.allow_pick_jobs:
            return
        # Idle until an enqueue pushes a wake-up, or the poll interval passes.
        try:
            # Redis 6+ takes fractional seconds; redis-py's annotation says int.
            blocking: Any = self.pool
            await blocking.blpop([WAKE_KEY], timeout=self.idle_wait)
        except RedisError as exc:
            log.warning("job_queue_unreachable", error=str(exc))
            await asyncio.sleep(self.idle_wait)

    async def _sample_queue(self) -> None:
        now = time.monotonic()
        if now - self._sampled_at < QUEUE_SAMPLE_SECONDS:
            return
        self._sampled_at = now
        try:
            self.metrics.queued.set(await self.pool.zcard(self.queue_name))
        except RedisError as exc:
            log.warning("job_queue_unreachable", error=str(exc))


def arq_redis(redis_url: str) -> ArqRedis:
    return ArqRedis(
        pool_or_conn=ConnectionPool.from_url(redis_url, socket_connect_timeout=5),
        default_queue_name=QUEUE_NAME,
    )


def build_worker(
    settings: Settings,
    functions: Sequence[Function],
    cron_jobs: Sequence[CronJob] = (),
    *,
    burst: bool = False,
    handle_signals: bool = True,
    metrics: JobMetrics | None = None,
) -> LeasedWorker:
    """A worker for ``functions`` (each module's ``tasks.TASKS``) and ``cron_jobs``.
    Construct it inside the event loop that will run it. ``metrics``: where its job
    metrics and pool use go (the API's registry for the in-process worker)."""
    assert settings.redis_url is not None, "the worker needs QM_REDIS_URL"
    metrics = metrics or JobMetrics()

    async def startup(ctx: dict[str, Any]) -> None:
        assert settings.database_url is not None, "the worker needs QM_DATABASE_URL"
        redis = ctx["redis"]
        assert isinstance(redis, ArqRedis)
        owner_url = settings.database_owner_url or settings.database_url
        if settings.database_owner_url is None:
            log.warning(
                "worker_without_owner_url",
                detail="QM_DATABASE_OWNER_URL is unset: schedules that visit every tenant "
                "(reservation expiry, pruning, digests) will find no tenant",
            )
        runtime = ctx[RUNTIME_KEY] = WorkerRuntime(
            settings=settings,
            database=Database(
                settings.database_url,
                pool_size=settings.jobs_max_concurrency + 2,
                max_overflow=settings.jobs_max_concurrency,
                pool_timeout=settings.database_pool_timeout_seconds,
                pgbouncer=settings.database_pgbouncer,
                pool_pre_ping=settings.database_pool_pre_ping,
                pool_recycle=settings.database_pool_recycle_seconds,
                application_name="quartermaster-worker",
                limits=job_limits(settings),
            ),
            owner_database=Database(
                owner_url,
                pool_size=1,
                max_overflow=1,
                pgbouncer=settings.database_pgbouncer,
                pool_pre_ping=settings.database_pool_pre_ping,
                pool_recycle=settings.database_pool_recycle_seconds,
                application_name="quartermaster-scheduler",
            ),
            files=JobFiles.from_settings(settings),
            queue=JobQueue(redis),
            metrics=metrics,
        )
        pools = pool_metrics_of(metrics.registry)
        pools.track("worker", runtime.database)
        pools.track("scheduler", runtime.owner_database)
        # Mail that tasks queue goes out after their commit, like the API's.
        attach_mail_scheduler(
            runtime.database.engine, MailQueue(runtime.queue), default_from=settings.mail_from
        )
        log.info(
            "worker_started",
            functions=sorted(f.name for f in functions),
            schedules=sorted(c.name for c in cron_jobs),
            lease_seconds=settings.jobs_lease_seconds,
        )

    async def shutdown(ctx: dict[str, Any]) -> None:
        runtime = ctx.pop(RUNTIME_KEY, None)
        if isinstance(runtime, WorkerRuntime):
            await runtime.database.dispose()
            await runtime.owner_database.dispose()

    return LeasedWorker(
        functions=list(functions),
        cron_jobs=list(cron_jobs),
        queue_name=QUEUE_NAME,
        redis_pool=arq_redis(settings.redis_url),
        burst=burst,
        on_startup=startup,
        on_shutdown=shutdown,
        handle_signals=handle_signals,
        max_jobs=settings.jobs_max_concurrency,
        job_timeout=settings.jobs_timeout_seconds + ARQ_TIMEOUT_MARGIN,
        keep_result=0,
        max_tries=ARQ_MAX_TRIES,
        poll_delay=BURST_POLL_SECONDS if burst else 0,
        health_check_interval=60,
        timezone=UTC,
        log_results=False,
        lease_seconds=settings.jobs_lease_seconds,
        idle_wait=settings.jobs_poll_seconds,
        metrics=metrics,
    )


async def run_worker(
    settings: Settings,
    functions: Sequence[Function],
    cron_jobs: Sequence[CronJob],
    *,
    metrics: JobMetrics | None = None,
) -> None:
    """``qm worker``: run until SIGINT/SIGTERM (running jobs are handed back to the
    queue, so another worker resumes them at their last checkpoint)."""
    worker = build_worker(settings, functions, cron_jobs, metrics=metrics)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        pass
    finally:
        await worker.close()


class InProcessWorker:
    """A worker inside the API process (embedded ``qm serve``), started and stopped by the
    application's lifespan."""

    def __init__(
        self,
        settings: Settings,
        functions: Sequence[Function],
        cron_jobs: Sequence[CronJob],
        *,
        metrics: JobMetrics | None = None,
    ) -> None:
        self.worker = build_worker(
            settings, functions, cron_jobs, handle_signals=False, metrics=metrics
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.worker.async_run())
        self.task.add_done_callback(_report_stop)

    async def stop(self) -> None:
        await self.worker.close()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def _report_stop(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("in_process_worker_failed", error=repr(error), exc_info=error)


def worker_checks(worker: LeasedWorker) -> dict[str, Callable[[], Awaitable[str]]]:
    """`qm worker`'s readiness: its database pool and Redis answer (once started)."""

    async def database() -> str:
        runtime = worker.ctx.get(RUNTIME_KEY)
        if not isinstance(runtime, WorkerRuntime):
            return "starting"
        await runtime.database.ping()
        return "ok"

    async def redis() -> str:
        await worker.pool.ping()
        return "ok"

    return {"database": database, "redis": redis}
