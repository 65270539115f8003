"""Embedded `qm serve` runs a worker inside the API process (QM_RUN_WORKER): jobs run
without any other process, and the worker stops with the application."""

from __future__ import annotations

import asyncio

from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.jobs.conftest import Jobs, csv_bytes, products


async def test_the_api_process_runs_jobs_itself_when_asked(
    jobs_settings: Settings, services: TestServices
) -> None:
    app = create_app(jobs_settings.model_copy(update={"run_worker": True}))
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
    ):
        owner = await Identity(client).signup("Embedded")
        jobs = Jobs(client, owner, jobs_settings)
        job = ok(await jobs.upload(csv_bytes([["sku", "name"], ["EMB-1", "Embedded"]])), 202)
        for _ in range(600):  # the worker is woken by the enqueue; a generous deadline
            done = await jobs.job(job["id"])
            if done["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.05)
        assert done["status"] == "succeeded", done
    assert set(await products(services, owner.tenant_id)) == {"EMB-1"}
