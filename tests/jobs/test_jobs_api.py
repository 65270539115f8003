"""The jobs API: list and read, cancel, results; another tenant's job is a 404, and a job
runs under its own tenant only."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.jobs.conftest import (
    API,
    Jobs,
    csv_bytes,
    new_uuid,
    products,
    queued_ids,
    run_queued_jobs,
    tenant_rows,
)

CSV = csv_bytes([["sku", "name"], ["A-1", "A"]])


class TestReading:
    async def test_jobs_are_listed_newest_first_with_filters_and_cursor(self, jobs: Jobs) -> None:
        ids = [ok(await jobs.upload(CSV), 202)["id"] for _ in range(3)]
        export = ok(
            await jobs.client.post(f"{API}/exports/stock-levels", headers=jobs.headers), 202
        )
        listed = ok(await jobs.client.get(f"{API}/jobs", headers=jobs.headers))
        assert [j["id"] for j in listed["items"]] == [export["id"], *reversed(ids)]

        imports = ok(
            await jobs.client.get(
                f"{API}/jobs", headers=jobs.headers, params={"kind": "product_import", "limit": 2}
            )
        )
        assert [j["id"] for j in imports["items"]] == [ids[2], ids[1]]
        rest = ok(
            await jobs.client.get(
                f"{API}/jobs",
                headers=jobs.headers,
                params={"kind": "product_import", "limit": 2, "cursor": imports["next_cursor"]},
            )
        )
        assert [j["id"] for j in rest["items"]] == [ids[0]]
        assert rest["next_cursor"] is None

        await run_queued_jobs(jobs.settings)
        succeeded = ok(
            await jobs.client.get(
                f"{API}/jobs", headers=jobs.headers, params={"status": "succeeded"}
            )
        )
        assert len(succeeded["items"]) == 4
        queued = ok(
            await jobs.client.get(f"{API}/jobs", headers=jobs.headers, params={"status": "queued"})
        )
        assert queued["items"] == []

    async def test_a_viewer_may_read_jobs_but_not_import(
        self, jobs: Jobs, identity: Identity, owner: Account
    ) -> None:
        job = ok(await jobs.upload(CSV), 202)
        viewer = await identity.member(owner, "viewer")
        as_viewer = Jobs(jobs.client, viewer, jobs.settings)
        assert (await as_viewer.job(job["id"]))["id"] == job["id"]
        problem(await as_viewer.upload(CSV), 403, "permission-denied")

    async def test_an_upload_over_the_size_limit_is_413_and_keeps_nothing(
        self, jobs: Jobs, owner: Account, services: TestServices, redis: Redis
    ) -> None:
        limited = Jobs(
            jobs.client, owner, jobs.settings.model_copy(update={"jobs_max_upload_bytes": 10})
        )
        jobs.client._transport.app.state.settings = limited.settings  # type: ignore[attr-defined]
        try:
            response = await limited.upload(CSV)
        finally:
            jobs.client._transport.app.state.settings = jobs.settings  # type: ignore[attr-defined]
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "upload-too-large"
        assert await tenant_rows(services, owner.tenant_id, "SELECT id FROM jobs") == []
        assert await queued_ids(redis) == []


class TestTenantIsolation:
    async def test_another_tenants_job_is_not_found_whatever_the_route(
        self, jobs: Jobs, identity: Identity
    ) -> None:
        job = ok(await jobs.upload(CSV), 202)
        other = Jobs(jobs.client, await identity.signup("Other"), jobs.settings)
        theirs = await other.client.get(f"{API}/jobs/{job['id']}", headers=other.headers)
        problem(theirs, 404, "job-not-found")
        problem(await other.cancel(job["id"]), 404, "job-not-found")
        problem(await other.result(job["id"]), 404, "job-not-found")
        assert ok(await other.client.get(f"{API}/jobs", headers=other.headers))["items"] == []
        unknown = await jobs.client.get(f"{API}/jobs/{new_uuid()}", headers=jobs.headers)
        problem(unknown, 404, "job-not-found")
        assert ok(await jobs.client.get(f"{API}/jobs/{job['id']}", headers=jobs.headers))[
            "status"
        ] in ("queued", "running", "succeeded")

    async def test_a_job_writes_only_into_its_own_tenant(
        self, jobs: Jobs, identity: Identity, owner: Account, services: TestServices
    ) -> None:
        other_owner = await identity.signup("Other")
        other = Jobs(jobs.client, other_owner, jobs.settings)
        ok(await jobs.upload(csv_bytes([["sku", "name"], ["MINE", "Mine"]])), 202)
        ok(await other.upload(csv_bytes([["sku", "name"], ["THEIRS", "Theirs"]])), 202)
        assert await run_queued_jobs(jobs.settings) == 2
        assert set(await products(services, owner.tenant_id)) == {"MINE"}
        assert set(await products(services, other_owner.tenant_id)) == {"THEIRS"}


class TestCancel:
    async def test_a_queued_job_is_cancelled_at_once_and_then_never_runs(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        job = ok(await jobs.upload(CSV), 202)
        cancelled = ok(await jobs.cancel(job["id"]))
        assert (cancelled["status"], cancelled["cancel_requested"]) == ("cancelled", True)
        assert ok(await jobs.cancel(job["id"]))["status"] == "cancelled"  # idempotent
        await run_queued_jobs(jobs.settings)
        after = await jobs.job(job["id"])
        assert (after["status"], after["attempts"]) == ("cancelled", 0)
        assert await products(services, owner.tenant_id) == {}
        events = await tenant_rows(
            services,
            owner.tenant_id,
            "SELECT type FROM outbox_events WHERE type LIKE 'jobs.%' ORDER BY id",
        )
        assert [e["type"] for e in events] == ["jobs.job.queued", "jobs.job.cancelled"]

    async def test_a_finished_job_cannot_be_cancelled(self, jobs: Jobs) -> None:
        job = await jobs.import_products(CSV)
        response = await jobs.cancel(job["id"])
        assert response.status_code == 409
        assert response.json()["code"] == "job-already-finished"

    async def test_only_the_creator_or_an_admin_may_cancel(
        self, jobs: Jobs, identity: Identity, owner: Account
    ) -> None:
        manager = Jobs(jobs.client, await identity.member(owner, "manager"), jobs.settings)
        other_manager = Jobs(jobs.client, await identity.member(owner, "manager"), jobs.settings)
        admin = Jobs(jobs.client, await identity.member(owner, "admin"), jobs.settings)
        first = ok(await manager.upload(CSV), 202)
        second = ok(await manager.upload(CSV), 202)
        problem(await other_manager.cancel(first["id"]), 403, "job-cancel-forbidden")
        assert ok(await manager.cancel(first["id"]))["status"] == "cancelled"
        assert ok(await admin.cancel(second["id"]))["status"] == "cancelled"


class TestResult:
    async def test_a_result_is_409_until_the_job_succeeded_and_404_when_it_is_no_file(
        self, jobs: Jobs
    ) -> None:
        job = ok(await jobs.upload(CSV), 202)
        pending = await jobs.result(job["id"])
        assert (pending.status_code, pending.json()["code"]) == (409, "job-not-finished")
        await run_queued_jobs(jobs.settings)
        done: dict[str, Any] = await jobs.job(job["id"])
        assert done["result_url"] is None
        no_file = await jobs.result(job["id"])
        assert (no_file.status_code, no_file.json()["code"]) == (404, "job-has-no-file")

    async def test_a_failed_job_has_no_result_to_download(self, jobs: Jobs) -> None:
        job = await jobs.import_products(b"not,a,product,file\r\n")
        assert job["status"] == "failed"
        response = await jobs.result(job["id"])
        assert (response.status_code, response.json()["code"]) == (409, "job-has-no-result")
