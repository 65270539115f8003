"""Harness for job tests: an app whose job files live in a temporary directory, a worker
run in-process until the queue is empty (arq burst mode, the production worker class and
tasks), and looks at jobs and products as the application role sees them."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from redis.asyncio import Redis

from quartermaster.api import create_app
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import QUEUE_NAME, JobQueue, wait_for_enqueues
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.runtime import RUNTIME_KEY, WorkerRuntime
from quartermaster.jobs.worker import build_worker
from quartermaster.modules import load_tasks
from tests.builders import API, new_uuid, ok, tenant_rows
from tests.conftest import TestServices
from tests.identity.conftest import Account

__all__ = ["API", "Jobs", "new_uuid", "ok", "products", "tenant_rows"]


@pytest.fixture(scope="session")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qm-jobs")


@pytest.fixture(scope="session")
def jobs_settings(settings: Settings, jobs_dir: Path) -> Settings:
    return settings.model_copy(
        update={
            "jobs_files_dir": jobs_dir,
            "jobs_lease_seconds": 3.0,
            "jobs_import_chunk_rows": 50,
            "jobs_retry_backoff_seconds": 0.05,
            "jobs_poll_seconds": 0.2,
        }
    )


@pytest.fixture(scope="session")
async def app(jobs_settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(jobs_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def redis(services: TestServices) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def runtime(
    jobs_settings: Settings, services: TestServices, redis: Redis
) -> AsyncIterator[WorkerRuntime]:
    """What a worker hands its tasks, for calling task functions directly."""
    database = Database(services.app_url, pool_size=4, max_overflow=2)
    owner_database = Database(services.owner_url, pool_size=1, max_overflow=1)
    yield WorkerRuntime(
        settings=jobs_settings,
        database=database,
        owner_database=owner_database,
        files=JobFiles.from_settings(jobs_settings),
        queue=JobQueue(redis),
    )
    await database.dispose()
    await owner_database.dispose()


@pytest.fixture
def ctx(runtime: WorkerRuntime) -> dict[str, Any]:
    return {RUNTIME_KEY: runtime, "job_try": 1}


async def run_queued_jobs(settings: Settings) -> int:
    """Run every queued job with a real worker, in this process, until the queue is
    empty; returns how many jobs ran. Schedules are not run (tests call them directly)."""
    await wait_for_enqueues()
    functions, _ = load_tasks(settings)
    worker = build_worker(settings, functions, [], burst=True, handle_signals=False)
    try:
        await worker.async_run()
        return worker.jobs_complete + worker.jobs_failed
    finally:
        await worker.close()


async def queued_ids(redis: Redis) -> list[str]:
    await wait_for_enqueues()
    return [member.decode() for member in await redis.zrange(QUEUE_NAME, 0, -1)]


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


class Jobs:
    """Jobs through the HTTP API, as one account."""

    def __init__(self, client: AsyncClient, account: Account, settings: Settings) -> None:
        self.client = client
        self.account = account
        self.settings = settings

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers

    async def upload(
        self, content: bytes, *, dry_run: bool = False, filename: str = "products.csv"
    ) -> Response:
        return await self.client.post(
            f"{API}/imports/products",
            headers=self.headers,
            params={"dry_run": "true"} if dry_run else None,
            files={"file": (filename, content, "text/csv")},
        )

    async def import_products(self, content: bytes, *, dry_run: bool = False) -> dict[str, Any]:
        """Upload, run the worker, return the finished job."""
        job = ok(await self.upload(content, dry_run=dry_run), 202)
        await run_queued_jobs(self.settings)
        return await self.job(job["id"])

    async def job(self, job_id: str) -> dict[str, Any]:
        return ok(await self.client.get(f"{API}/jobs/{job_id}", headers=self.headers))

    async def cancel(self, job_id: str) -> Response:
        return await self.client.post(f"{API}/jobs/{job_id}/cancel", headers=self.headers)

    async def result(self, job_id: str) -> Response:
        return await self.client.get(f"{API}/jobs/{job_id}/result", headers=self.headers)


@pytest.fixture
def jobs(client: AsyncClient, owner: Account, jobs_settings: Settings) -> Jobs:
    return Jobs(client, owner, jobs_settings)


async def products(services: TestServices, tenant_id: str) -> dict[str, dict[str, Any]]:
    rows = await tenant_rows(services, tenant_id, "SELECT * FROM products ORDER BY lower(sku)")
    return {row["sku"]: row for row in rows}
