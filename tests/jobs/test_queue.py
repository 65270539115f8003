"""Enqueue only after commit: a committed job reaches the queue once; a rolled-back one
never; a job whose enqueue was lost is enqueued again by the sweeper."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from redis.asyncio import Redis

from quartermaster.core.db import SessionDep
from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import JobQueue
from quartermaster.jobs.public import JobQueueDep, submit_job
from quartermaster.jobs.runtime import WorkerRuntime
from quartermaster.jobs.tasks import requeue_stale_jobs
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account
from tests.jobs.conftest import Jobs, csv_bytes, queued_ids, run_queued_jobs, tenant_rows


class Boom(Exception):
    pass


async def _age(services: TestServices, tenant_id: str, job_id: str, seconds: int) -> None:
    """Make a job look untouched for ``seconds`` (as the app role, in its tenant)."""
    await tenant_rows(
        services,
        tenant_id,
        f"UPDATE jobs SET updated_at = now() - interval '{seconds} seconds' "  # noqa: S608
        f"WHERE id = '{uuid.UUID(job_id)}' RETURNING id",
    )


class TestEnqueueAfterCommit:
    async def test_a_submitted_job_is_queued_under_its_own_id_once_committed(
        self, jobs: Jobs, redis: Redis
    ) -> None:
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["A", "B"]])), 202)
        assert await queued_ids(redis) == [job["id"]]

    async def test_a_rolled_back_transaction_enqueues_nothing(
        self, runtime: WorkerRuntime, owner: Account, redis: Redis, services: TestServices
    ) -> None:
        tenant = uuid.UUID(owner.tenant_id)

        async def submit_then_fail() -> None:
            async with runtime.database.transaction(tenant) as session:
                await submit_job(session, runtime.queue, tenant, "stock_levels_export")
                raise Boom

        with pytest.raises(Boom):
            await submit_then_fail()
        assert await queued_ids(redis) == []
        assert await tenant_rows(services, owner.tenant_id, "SELECT id FROM jobs") == []

    async def test_a_request_that_fails_after_submitting_enqueues_nothing(
        self,
        jobs_settings: Settings,
        owner: Account,
        redis: Redis,
        services: TestServices,
        app: FastAPI,
    ) -> None:
        # The real session dependency and submit_job, in a route that fails afterwards.
        failing = FastAPI()
        failing.state.settings = app.state.settings
        failing.state.database = app.state.database
        failing.state.redis = app.state.redis
        tenant = uuid.UUID(owner.tenant_id)

        @failing.post("/fail")
        async def fail(session: SessionDep, queue: JobQueueDep) -> dict[str, Any]:
            await submit_job(session, queue, tenant, "stock_levels_export")
            raise Boom

        async with AsyncClient(
            transport=ASGITransport(app=failing, raise_app_exceptions=False), base_url="http://t"
        ) as client:
            response = await client.post("/fail")
        assert response.status_code == 500
        assert await queued_ids(redis) == []
        assert await tenant_rows(services, owner.tenant_id, "SELECT id FROM jobs") == []

    async def test_enqueueing_a_job_twice_queues_it_once(
        self, jobs: Jobs, redis: Redis, owner: Account
    ) -> None:
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["A", "B"]])), 202)
        from quartermaster.jobs.enqueueing import QueuedJob

        again = QueuedJob("product_import", uuid.UUID(owner.tenant_id), uuid.UUID(job["id"]))
        assert await JobQueue(redis).enqueue(again) == 0
        assert await queued_ids(redis) == [job["id"]]
        assert await run_queued_jobs(jobs.settings) == 1


class TestSweeper:
    async def test_a_job_whose_enqueue_was_lost_is_enqueued_again(
        self,
        jobs: Jobs,
        owner: Account,
        redis: Redis,
        services: TestServices,
        ctx: dict[str, Any],
    ) -> None:
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["LOST-1", "Lost"]])), 202)
        await queued_ids(redis)
        await redis.flushdb()  # the enqueue is lost (a crash right after commit, Redis lost)
        assert await queued_ids(redis) == []

        assert await requeue_stale_jobs(ctx) == 0  # too recent to be called lost
        await _age(services, owner.tenant_id, job["id"], 3600)
        assert await requeue_stale_jobs(ctx) == 1
        assert await queued_ids(redis) == [job["id"]]

        await run_queued_jobs(jobs.settings)
        done = await jobs.job(job["id"])
        assert done["status"] == "succeeded", done
        assert done["result"]["created"] == 1

    async def test_a_job_still_in_the_queue_is_left_alone(
        self, jobs: Jobs, owner: Account, redis: Redis, services: TestServices, ctx: dict[str, Any]
    ) -> None:
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["A", "B"]])), 202)
        await _age(services, owner.tenant_id, job["id"], 3600)
        assert await requeue_stale_jobs(ctx) == 0
        assert await queued_ids(redis) == [job["id"]]

    async def test_a_running_job_that_arq_forgot_is_enqueued_again(
        self, jobs: Jobs, owner: Account, redis: Redis, services: TestServices, ctx: dict[str, Any]
    ) -> None:
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["A", "B"]])), 202)
        await queued_ids(redis)
        await tenant_rows(
            services,
            owner.tenant_id,
            "UPDATE jobs SET status = 'running', attempts = 1, "  # noqa: S608
            f"updated_at = now() - interval '1 hour' WHERE id = '{job['id']}' RETURNING id",
        )
        await redis.flushdb()
        assert await requeue_stale_jobs(ctx) == 1
        await run_queued_jobs(jobs.settings)
        done = await jobs.job(job["id"])
        assert (done["status"], done["attempts"]) == ("succeeded", 2)
