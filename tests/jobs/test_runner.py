"""The job runner: fenced checkpoints, cancel at a checkpoint, retries for transient
errors, reasons for permanent ones, no second run of a finished job, the lease."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import pytest
from arq import Retry
from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis

from quartermaster.core.events import emit
from quartermaster.jobs.public import JobFailed, JobOutput, JobRun, job_task, submit_job
from quartermaster.jobs.runner import run_job
from quartermaster.jobs.runtime import RUNTIME_KEY, WorkerRuntime
from quartermaster.jobs.worker import build_worker
from tests.builders import eventually
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account
from tests.jobs.conftest import API, Jobs, queued_ids, tenant_rows

KIND = "test_job"


async def _submit(runtime: WorkerRuntime, owner: Account) -> str:
    tenant = uuid.UUID(owner.tenant_id)
    async with runtime.database.transaction(tenant) as session:
        job = await submit_job(
            session, runtime.queue, tenant, KIND, created_by=uuid.UUID(owner.user_id)
        )
    assert job is not None
    return str(job.id)


async def _job(services: TestServices, owner: Account, job_id: str) -> dict[str, Any]:
    (row,) = await tenant_rows(
        services,
        owner.tenant_id,
        f"SELECT * FROM jobs WHERE id = '{uuid.UUID(job_id)}'",  # noqa: S608
    )
    return row


async def _events(services: TestServices, owner: Account) -> list[tuple[str, dict[str, Any]]]:
    import json

    rows = await tenant_rows(
        services,
        owner.tenant_id,
        "SELECT type, payload FROM outbox_events WHERE type LIKE 'jobs.%' ORDER BY id",
    )
    return [(row["type"], json.loads(row["payload"])) for row in rows]


class TestProgressAndEnd:
    async def test_progress_is_recorded_with_throttled_events_and_success_recorded_once(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        job_id = await _submit(runtime, owner)

        async def body(run: JobRun) -> JobOutput:
            for step in range(1, 101):
                async with run.database.transaction(run.tenant_id) as session:
                    await run.checkpoint(session, fraction=step / 100, state={"step": step})
            return JobOutput(result={"steps": 100})

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert (job["status"], job["progress"], job["attempts"]) == ("succeeded", 100, 1)
        assert job["checkpoint"] is None
        events = await _events(services, owner)
        types = [t for t, _ in events]
        assert types[:2] == ["jobs.job.queued", "jobs.job.started"]
        assert types[-1] == "jobs.job.succeeded"
        progress = [p["progress"] for t, p in events if t == "jobs.job.progress"]
        assert 0 < len(progress) <= 50
        assert all(b - a >= 2 for a, b in itertools.pairwise(progress))

        # A second delivery of the finished job (at-least-once) does nothing.
        await run_job(ctx, owner.tenant_id, job_id, body)
        assert (await _job(services, owner, job_id))["attempts"] == 1

    async def test_a_permanent_failure_records_its_reason(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        job_id = await _submit(runtime, owner)

        async def body(run: JobRun) -> JobOutput:
            raise JobFailed("The file has no rows.", result={"rows": 0})

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert (job["status"], job["error"]) == ("failed", "The file has no rows.")
        assert [t for t, _ in await _events(services, owner)][-1] == "jobs.job.failed"

    async def test_a_bug_fails_the_job_without_leaking_internals(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        job_id = await _submit(runtime, owner)

        async def body(run: JobRun) -> JobOutput:
            raise ValueError("secret internals")

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert job["status"] == "failed"
        assert "secret" not in job["error"]
        assert job_id in job["error"]

    async def test_a_job_that_runs_too_long_is_stopped(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        runtime.settings = runtime.settings.model_copy(update={"jobs_timeout_seconds": 0.2})
        job_id = await _submit(runtime, owner)

        async def body(run: JobRun) -> JobOutput:
            await asyncio.sleep(30)
            raise AssertionError("not reached")

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert job["status"] == "failed"
        assert "took longer than" in job["error"]


class TestRetries:
    async def test_transient_errors_retry_with_backoff_until_attempts_run_out(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        runtime.settings = runtime.settings.model_copy(update={"jobs_max_attempts": 3})
        job_id = await _submit(runtime, owner)

        async def body(run: JobRun) -> JobOutput:
            raise ConnectionResetError("connection reset by peer")

        delays = []
        for _ in range(2):
            with pytest.raises(Retry) as retry:
                await run_job(ctx, owner.tenant_id, job_id, body)
            delays.append(retry.value.defer_score)
            assert (await _job(services, owner, job_id))["status"] == "running"
        first, second = delays
        assert first is not None
        assert second is not None
        assert second > first  # backoff grows
        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert (job["status"], job["attempts"]) == ("failed", 3)
        assert "Gave up after 3 attempts" in job["error"]

    async def test_a_job_that_keeps_losing_its_worker_is_given_up(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        job_id = await _submit(runtime, owner)
        await tenant_rows(
            services,
            owner.tenant_id,
            f"UPDATE jobs SET status = 'running', attempts = {runtime.settings.jobs_max_attempts} "  # noqa: S608
            f"WHERE id = '{job_id}' RETURNING id",
        )

        async def body(run: JobRun) -> JobOutput:
            raise AssertionError("not run again")

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert job["status"] == "failed"
        assert "started 5 times without finishing" in job["error"]


class TestFencing:
    async def test_an_attempt_that_lost_the_job_stops_and_its_last_chunk_is_rolled_back(
        self, ctx: dict[str, Any], runtime: WorkerRuntime, owner: Account, services: TestServices
    ) -> None:
        job_id = await _submit(runtime, owner)
        tenant = uuid.UUID(owner.tenant_id)

        async def body(run: JobRun) -> JobOutput:
            async with run.database.transaction(tenant) as session:
                await run.checkpoint(session, fraction=0.25, state={"chunk": 1})
            # Meanwhile another worker took the job over (this one's lease lapsed).
            await tenant_rows(
                services,
                owner.tenant_id,
                f"UPDATE jobs SET attempts = attempts + 1 WHERE id = '{job_id}' RETURNING id",  # noqa: S608
            )
            async with run.database.transaction(tenant) as session:
                await emit(session, tenant, "jobs.test.chunk_written", {"chunk": 2})
                await run.checkpoint(session, fraction=0.5, state={"chunk": 2})
            raise AssertionError("not reached")

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await _job(services, owner, job_id)
        assert (job["status"], job["attempts"], job["progress"]) == ("running", 2, 25)
        assert "jobs.test.chunk_written" not in [t for t, _ in await _events(services, owner)]

    async def test_a_cancel_request_stops_a_running_job_at_its_next_checkpoint(
        self,
        ctx: dict[str, Any],
        runtime: WorkerRuntime,
        owner: Account,
        services: TestServices,
        jobs: Jobs,
    ) -> None:
        job_id = await _submit(runtime, owner)
        tenant = uuid.UUID(owner.tenant_id)

        async def body(run: JobRun) -> JobOutput:
            async with run.database.transaction(tenant) as session:
                await run.checkpoint(session, fraction=0.1)
            requested = ok(await jobs.cancel(job_id))
            assert (requested["status"], requested["cancel_requested"]) == ("running", True)
            async with run.database.transaction(tenant) as session:
                await emit(session, tenant, "jobs.test.chunk_written", {})
                await run.checkpoint(session, fraction=0.2)
            raise AssertionError("not reached")

        await run_job(ctx, owner.tenant_id, job_id, body)
        job = await jobs.job(job_id)
        assert (job["status"], job["progress"]) == ("cancelled", 10)
        types = [t for t, _ in await _events(services, owner)]
        assert "jobs.test.chunk_written" not in types
        assert types[-1] == "jobs.job.cancelled"


class TestLease:
    async def test_a_running_job_holds_a_short_lease_that_its_worker_renews(
        self, runtime: WorkerRuntime, owner: Account, redis: Redis, services: TestServices
    ) -> None:
        settings = runtime.settings.model_copy(update={"jobs_lease_seconds": 1.0})
        started, release = asyncio.Event(), asyncio.Event()

        async def body(run: JobRun) -> JobOutput:
            started.set()
            await release.wait()
            return JobOutput(result={})

        job_id = await _submit(runtime, owner)
        assert await queued_ids(redis) == [job_id]
        worker = build_worker(settings, [job_task(KIND, body)], [], handle_signals=False)
        running = asyncio.create_task(worker.async_run())
        try:
            await asyncio.wait_for(started.wait(), 30)
            key = in_progress_key_prefix + job_id
            assert 0 < await redis.pttl(key) <= 1000  # a lease, not arq's job timeout + 10 s
            # Wait for two renewals (the lease's time to live going up again), the key
            # never gone meanwhile: a worker that did not renew would lose it within 1 s.
            renewals, last = 0, await redis.pttl(key)

            async def renewed_twice() -> bool:
                nonlocal renewals, last
                ttl = await redis.pttl(key)
                assert ttl > 0, "the lease expired while the job ran"
                renewals += ttl > last
                last = ttl
                return renewals >= 2

            await eventually(renewed_twice, what="two renewals of the lease")
            release.set()

            async def succeeded() -> bool:
                return (await _job(services, owner, job_id))["status"] == "succeeded"

            await eventually(succeeded, what="the job's success")
        finally:
            release.set()
            await worker.close()
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        assert RUNTIME_KEY not in worker.ctx
        assert API
