"""Exports as jobs: the task writes the CSV under the jobs directory; GET /jobs/{id}/result
downloads it once the job has succeeded."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.builders import problem, tenant_rows
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.hostile.test_database_limits import movements_locked
from tests.identity.conftest import Account
from tests.inventory.conftest import Inventory
from tests.jobs.conftest import API, Jobs, run_queued_jobs


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class TestStockLevelsExport:
    async def test_the_export_job_writes_the_same_csv_as_the_streamed_export(
        self, jobs: Jobs, owner: Account
    ) -> None:
        stock = Inventory(jobs.client, owner)
        warehouse = await stock.warehouse("MAIN")
        bin_a = await stock.location(warehouse["id"], "A-01")
        for i in range(3):
            product = await stock.product(unit="pcs")
            await stock.receive(product["id"], bin_a["id"], str(10 + i))

        response = await jobs.client.post(f"{API}/exports/stock-levels", headers=jobs.headers)
        job = ok(response, 202)
        assert response.headers["Location"] == f"{API}/jobs/{job['id']}"
        await run_queued_jobs(jobs.settings)
        done = await jobs.job(job["id"])
        assert done["status"] == "succeeded", done
        assert done["result"]["rows"] == 3
        assert done["result_url"] == f"{API}/jobs/{job['id']}/result"

        download = await jobs.result(job["id"])
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert "attachment" in download.headers["content-disposition"]
        streamed = await jobs.client.get(f"{API}/exports/stock-levels.csv", headers=jobs.headers)
        assert download.text == streamed.text
        assert [row["on_hand"] for row in _rows(download.text)] == ["10", "11", "12"]

    async def test_filters_are_applied(self, jobs: Jobs, owner: Account) -> None:
        stock = Inventory(jobs.client, owner)
        first = await stock.warehouse("ONE")
        second = await stock.warehouse("TWO")
        product = await stock.product()
        for warehouse in (first, second):
            location = await stock.location(warehouse["id"], "BIN")
            await stock.receive(product["id"], location["id"], "1")
        job = ok(
            await jobs.client.post(
                f"{API}/exports/stock-levels",
                headers=jobs.headers,
                params={"warehouse_id": second["id"]},
            ),
            202,
        )
        await run_queued_jobs(jobs.settings)
        rows = _rows((await jobs.result(job["id"])).text)
        assert [row["warehouse"] for row in rows] == ["TWO"]


class TestMovementsExport:
    async def test_movements_of_a_period_are_exported_in_recording_order(
        self, jobs: Jobs, owner: Account
    ) -> None:
        stock = Inventory(jobs.client, owner)
        warehouse = await stock.warehouse("MAIN")
        here = await stock.location(warehouse["id"], "A")
        there = await stock.location(warehouse["id"], "B")
        product = await stock.product()
        await stock.receive(product["id"], here["id"], "5")
        ok(
            await stock.move(
                {
                    "kind": "transfer",
                    "product_id": product["id"],
                    "from_location_id": here["id"],
                    "to_location_id": there["id"],
                    "quantity": "2",
                }
            ),
            201,
        )
        now = datetime.now(UTC)
        params = {
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        }
        job = ok(
            await jobs.client.post(f"{API}/exports/movements", headers=jobs.headers, params=params),
            202,
        )
        await run_queued_jobs(jobs.settings)
        done = await jobs.job(job["id"])
        assert done["status"] == "succeeded", done
        rows = _rows((await jobs.result(job["id"])).text)
        assert [(r["kind"], r["quantity"], r["from_location"], r["to_location"]) for r in rows] == [
            ("receipt", "5", "", "A"),
            ("transfer", "2", "A", "B"),
        ]
        assert {r["sku"] for r in rows} == {product["sku"]}

        later = {
            "from": (now + timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=2)).isoformat(),
        }
        empty = ok(
            await jobs.client.post(f"{API}/exports/movements", headers=jobs.headers, params=later),
            202,
        )
        await run_queued_jobs(jobs.settings)
        assert (await jobs.job(empty["id"]))["result"]["rows"] == 0
        assert len((await jobs.result(empty["id"])).text.splitlines()) == 1  # the header

    async def test_a_range_that_ends_before_it_starts_is_422_and_queues_nothing(
        self, jobs: Jobs, services: TestServices
    ) -> None:
        now = datetime.now(UTC)
        response = await jobs.client.post(
            f"{API}/exports/movements",
            headers=jobs.headers,
            params={"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()},
        )
        problem(response, 422, "invalid-range")
        missing = await jobs.client.post(f"{API}/exports/movements", headers=jobs.headers)
        assert {e["field"] for e in problem(missing, 422, "validation-failed")["errors"]} == {
            "from",
            "to",
        }
        assert await tenant_rows(services, jobs.account.tenant_id, "SELECT id FROM jobs") == []


class TestStatementTimeout:
    async def test_an_export_stuck_past_the_jobs_statement_timeout_fails_with_that_reason(
        self, jobs: Jobs, owner: Account, services: TestServices
    ) -> None:
        params = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
        job = ok(
            await jobs.client.post(f"{API}/exports/movements", headers=jobs.headers, params=params),
            202,
        )
        impatient = jobs.settings.model_copy(update={"database_job_statement_timeout_seconds": 0.5})
        async with movements_locked(services):
            await run_queued_jobs(impatient)
        done = await jobs.job(job["id"])
        assert done["status"] == "failed", done
        assert "statement timeout" in done["error"], done["error"]
        assert done["attempts"] == 1  # not retried: the same work would hit the same limit
