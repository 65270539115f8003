"""The schedules: each callable on its own and effective, visiting every tenant (listed
as the owner role, which may list them only when it asks), one tenant at a time."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from redis.asyncio import Redis

from quartermaster.inventory.tasks import (
    expire_reservations,
    prune_old_idempotency_keys,
    schedule_low_stock_digests,
)
from quartermaster.jobs.runtime import WorkerRuntime
from quartermaster.jobs.scheduler import all_tenant_ids
from quartermaster.jobs.tasks import prune_job_files, prune_outbox
from tests.catalog.conftest import ok
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account, Identity
from tests.inventory.conftest import Inventory
from tests.jobs.conftest import API, Jobs, queued_ids, run_queued_jobs, tenant_rows


async def _stocked(
    client: Any, owner: Account, quantity: str = "10"
) -> tuple[Inventory, dict[str, Any], dict[str, Any]]:
    stock = Inventory(client, owner)
    warehouse = await stock.warehouse("MAIN")
    location = await stock.location(warehouse["id"], "A")
    product = await stock.product(reorder_point="5")
    await stock.receive(product["id"], location["id"], quantity)
    return stock, product, location


class TestTenantListing:
    async def test_the_scheduler_lists_every_tenant_and_nobody_else_can(
        self, runtime: WorkerRuntime, identity: Identity, services: TestServices
    ) -> None:
        alpha, beta = await identity.signup("Alpha"), await identity.signup("Beta")
        assert set(await all_tenant_ids(runtime)) == {
            uuid.UUID(alpha.tenant_id),
            uuid.UUID(beta.tenant_id),
        }
        # Without asking, the owner sees no tenant (RLS is forced); the application role
        # sees none even when it asks (the policy is the owner's only).
        for url in (services.owner_url, services.app_url):
            connection = await asyncpg.connect(plain(url))
            try:
                assert await connection.fetchval("SELECT count(*) FROM tenants") == 0
                if url == services.app_url:
                    async with connection.transaction():
                        await connection.execute("SELECT set_config('app.all_tenants', 'on', true)")
                        assert await connection.fetchval("SELECT count(*) FROM tenants") == 0
            finally:
                await connection.close()


class TestExpireReservations:
    async def test_expired_reservations_of_every_tenant_are_released(
        self,
        ctx: dict[str, Any],
        client: Any,
        owner: Account,
        identity: Identity,
        services: TestServices,
    ) -> None:
        reserved: list[tuple[Inventory, dict[str, Any], dict[str, Any], str]] = []
        for account in (owner, await identity.signup("Other")):
            stock, product, location = await _stocked(client, account)
            soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            body = {
                "product_id": product["id"],
                "location_id": location["id"],
                "quantity": "4",
                "reference": "SO-1",
                "expires_at": soon,
            }
            reservation = ok(await stock.post("/stock/reservations", body), 201)
            reservation_id = (reservation.get("reservation") or reservation)["id"]
            reserved.append((stock, product, location, reservation_id))
            await tenant_rows(
                services,
                account.tenant_id,
                "UPDATE reservations SET expires_at = now() - interval '1 minute' "  # noqa: S608
                f"WHERE id = '{reservation_id}' RETURNING id",
            )
        assert await expire_reservations(ctx) == 2
        for stock, product, location, reservation_id in reserved:
            found = ok(await stock.get(f"/stock/reservations/{reservation_id}"))
            assert found["status"] == "expired"
            (level,) = await stock.levels(product_id=product["id"], location_id=location["id"])
            assert Decimal(level["available"]) == Decimal(10)
        assert await expire_reservations(ctx) == 0


class TestPruning:
    async def test_idempotency_keys_older_than_the_retention_are_pruned(
        self, ctx: dict[str, Any], client: Any, owner: Account, services: TestServices
    ) -> None:
        stock, product, location = await _stocked(client, owner)
        line = {
            "kind": "receipt",
            "product_id": product["id"],
            "to_location_id": location["id"],
            "quantity": "1",
        }
        ok(await stock.move(line, key="old-key"), 201)
        ok(await stock.move(line, key="new-key"), 201)
        await tenant_rows(
            services,
            owner.tenant_id,
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' "
            "WHERE key = 'old-key' RETURNING key",
        )
        assert await prune_old_idempotency_keys(ctx) == 1
        keys = await tenant_rows(services, owner.tenant_id, "SELECT key FROM idempotency_keys")
        assert [k["key"] for k in keys] == ["new-key"]

    async def test_published_outbox_rows_past_the_retention_are_pruned_unpublished_never(
        self, ctx: dict[str, Any], owner: Account, services: TestServices
    ) -> None:
        def uuid7_at(moment: datetime) -> uuid.UUID:
            ms = int(moment.timestamp() * 1000)
            return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0b10 << 62) | secrets.randbits(62))

        long_ago = datetime.now(UTC) - timedelta(days=3)
        rows = [  # (created, published): what the relay left behind
            (long_ago, long_ago),
            (long_ago, long_ago),
            (long_ago, None),  # never published: kept whatever its age
            (datetime.now(UTC), datetime.now(UTC)),  # published just now: kept
        ]
        for created, published in rows:
            await tenant_rows(
                services,
                owner.tenant_id,
                "INSERT INTO outbox_events (id, tenant_id, type, payload, occurred_at, "  # noqa: S608
                f"published_at) VALUES ('{uuid7_at(created)}', '{owner.tenant_id}', "
                f"'test.event', '{{}}', '{created.isoformat()}', "
                f"{repr(published.isoformat()) if published else 'NULL'}) RETURNING id",
            )
        assert await prune_outbox(ctx) == 2
        left = await tenant_rows(
            services,
            owner.tenant_id,
            "SELECT published_at IS NULL AS unpublished FROM outbox_events "
            "WHERE type = 'test.event' ORDER BY id",
        )
        assert [row["unpublished"] for row in left] == [True, False]

    async def test_job_files_past_the_retention_are_deleted(
        self, ctx: dict[str, Any], runtime: WorkerRuntime
    ) -> None:
        tenant, old_job, new_job = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        old = runtime.files.resolve(runtime.files.result_name(tenant, old_job, ".csv"))
        new = runtime.files.resolve(runtime.files.upload_name(tenant, new_job, ".csv"))
        for path in (old, new):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("sku\n")
        past = time.time() - (runtime.settings.jobs_file_retention_hours + 1) * 3600
        os.utime(old, (past, past))
        assert await prune_job_files(ctx) == 1
        assert (old.exists(), new.exists()) == (False, True)


class TestLowStockDigest:
    async def test_one_digest_a_day_for_each_tenant_with_reorder_points(
        self,
        ctx: dict[str, Any],
        client: Any,
        owner: Account,
        identity: Identity,
        redis: Redis,
        jobs: Jobs,
    ) -> None:
        _, product, _ = await _stocked(client, owner, quantity="3")  # 3 ≤ 5
        await Inventory(client, await identity.signup("No reorder points")).product()

        assert await schedule_low_stock_digests(ctx) == 1
        assert await schedule_low_stock_digests(ctx) == 0  # once per tenant and day
        assert len(await queued_ids(redis)) == 1
        await run_queued_jobs(jobs.settings)

        listed = ok(
            await jobs.client.get(
                f"{API}/jobs", headers=jobs.headers, params={"kind": "low_stock_digest"}
            )
        )
        (digest,) = listed["items"]
        assert digest["status"] == "succeeded", digest
        assert digest["created_by"] is None
        result = digest["result"]
        assert result["open_alert_count"] == 1
        (alert,) = result["open_alerts"]
        assert (alert["sku"], alert["warehouse"], Decimal(alert["available"])) == (
            product["sku"],
            "MAIN",
            Decimal(3),
        )
        assert [p["sku"] for p in result["below_reorder"]] == [product["sku"]]
