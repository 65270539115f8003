"""Every worker may run the schedules (there is no separate scheduler process), so each
tick must run once however many workers enqueue it, and whenever they do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from arq.constants import result_key_prefix
from redis.asyncio import Redis

from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import QUEUE_NAME
from quartermaster.jobs.metrics import JobMetrics
from quartermaster.jobs.scheduler import SCHEDULE_RESULT_KEEP_SECONDS, schedule
from quartermaster.jobs.worker import LeasedWorker, build_worker

NAME = "test.daily_tick"


def _worker(settings: Settings, runs: list[str], tick: datetime) -> LeasedWorker:
    """A worker process's view: its own schedule object, due at ``tick`` (an hour ago)."""

    async def daily_tick(ctx: dict[str, Any]) -> int:
        runs.append(ctx["job_id"])
        return len(runs)

    cron_job = schedule(
        daily_tick, name=NAME, hour=tick.hour, minute=tick.minute, second=tick.second
    )
    cron_job.next_run = tick
    return build_worker(
        settings, [], [cron_job], burst=True, handle_signals=False, metrics=JobMetrics()
    )


async def _run(worker: LeasedWorker) -> None:
    # A worker enqueues due ticks from its heartbeat; do that first, then drain the queue.
    await worker.run_cron(datetime.now(UTC), 0.5)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_a_tick_enqueued_again_after_it_ran_does_not_run_twice(
    jobs_settings: Settings, redis: Redis
) -> None:
    tick = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=123_456)
    runs: list[str] = []

    # Worker A enqueues the tick and runs it to the end.
    await _run(_worker(jobs_settings, runs, tick))
    assert len(runs) == 1
    # Worker B was late (its loop was busy with long jobs, or its clock behind): it
    # enqueues the same tick only now, after A's run ended and left no job key.
    await _run(_worker(jobs_settings, runs, tick))

    assert len(runs) == 1, runs
    assert await redis.zcard(QUEUE_NAME) == 0
    ttl = await redis.ttl(result_key_prefix + runs[0])
    assert 0 < ttl <= SCHEDULE_RESULT_KEEP_SECONDS


async def test_two_workers_enqueuing_a_tick_together_run_it_once(
    jobs_settings: Settings, redis: Redis
) -> None:
    tick = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=123_456)
    runs: list[str] = []
    first, second = _worker(jobs_settings, runs, tick), _worker(jobs_settings, runs, tick)
    await first.run_cron(datetime.now(UTC), 0.5)
    await second.run_cron(datetime.now(UTC), 0.5)
    assert await redis.zcard(QUEUE_NAME) == 1
    for worker in (first, second):
        try:
            await worker.async_run()
        finally:
            await worker.close()
    assert len(runs) == 1
