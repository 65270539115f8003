"""Idempotency-Key on POST /stock/movements: replays return the first response and write
nothing; another body is 409; concurrent duplicates run once; rejections keep no key."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from quartermaster.core.db import Database
from quartermaster.inventory.public import prune_idempotency_keys
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.inventory.conftest import Inventory, inventory_rows


@pytest.fixture
async def place(inventory: Inventory) -> dict[str, Any]:
    warehouse = await inventory.warehouse("MAIN")
    product = await inventory.product(sku="WIDGET")
    return {"location": warehouse["default_location_id"], "product": product["id"]}


def receipt(place: dict[str, Any], quantity: str = "5") -> dict[str, Any]:
    return {
        "kind": "receipt",
        "product_id": place["product"],
        "to_location_id": place["location"],
        "quantity": quantity,
    }


def issue(place: dict[str, Any], quantity: str) -> dict[str, Any]:
    return {
        "kind": "issue",
        "product_id": place["product"],
        "from_location_id": place["location"],
        "quantity": quantity,
    }


class TestReplay:
    async def test_the_same_key_and_body_returns_the_first_response_and_writes_nothing(
        self, inventory: Inventory, place: dict[str, Any], services: TestServices
    ) -> None:
        first = await inventory.move(receipt(place), key="k-1")
        assert first.status_code == 201, first.text
        after_first = await inventory_rows(services, inventory.account.tenant_id)
        again = await inventory.move(receipt(place), key="k-1")
        assert again.status_code == first.status_code
        assert again.content == first.content
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await inventory_rows(services, inventory.account.tenant_id) == after_first
        assert await inventory.on_hand(place["product"], place["location"]) == 5

    async def test_an_equivalent_body_is_the_same_request(
        self, inventory: Inventory, place: dict[str, Any]
    ) -> None:
        """Fingerprints are taken of the validated body: key order, nulls and number
        spelling do not make another request."""
        first = await inventory.move(receipt(place, "5"), key="k-eq")
        body = {**dict(reversed(list(receipt(place, "5").items()))), "quantity": 5, "note": None}
        again = await inventory.move(body, key="k-eq")
        assert (again.status_code, again.content) == (201, first.content)

    async def test_the_same_key_with_another_body_is_409_and_writes_nothing(
        self, inventory: Inventory, place: dict[str, Any], services: TestServices
    ) -> None:
        ok(await inventory.move(receipt(place, "5"), key="k-2"), 201)
        before = await inventory_rows(services, inventory.account.tenant_id)
        response = await inventory.move(receipt(place, "6"), key="k-2")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "idempotency-key-reused"
        assert await inventory_rows(services, inventory.account.tenant_id) == before

    async def test_without_a_key_every_request_is_new(
        self, inventory: Inventory, place: dict[str, Any]
    ) -> None:
        for _ in range(2):
            ok(await inventory.move(receipt(place)), 201)
        assert await inventory.on_hand(place["product"], place["location"]) == 10

    async def test_keys_are_per_tenant(
        self, inventory: Inventory, place: dict[str, Any], identity: Any
    ) -> None:
        other = Inventory(inventory.client, await identity.signup("Beta"))
        theirs = {
            "location": (await other.warehouse("MAIN"))["default_location_id"],
            "product": (await other.product(sku="WIDGET"))["id"],
        }
        ok(await inventory.move(receipt(place), key="shared"), 201)
        ok(await other.move(receipt(theirs), key="shared"), 201)
        assert await other.on_hand(theirs["product"], theirs["location"]) == 5

    async def test_a_rejected_request_keeps_no_key_so_a_retry_after_restocking_succeeds(
        self, inventory: Inventory, place: dict[str, Any]
    ) -> None:
        refused = await inventory.move(issue(place, "3"), key="k-retry")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "insufficient-stock"
        ok(await inventory.move(receipt(place, "3")), 201)
        retried = await inventory.move(issue(place, "3"), key="k-retry")
        assert retried.status_code == 201, retried.text
        assert await inventory.on_hand(place["product"], place["location"]) == 0


class TestConcurrentDuplicates:
    async def test_concurrent_requests_with_one_key_execute_once(
        self, inventory: Inventory, place: dict[str, Any], services: TestServices
    ) -> None:
        responses = await asyncio.gather(
            *(inventory.move(receipt(place, "2"), key="k-race") for _ in range(8))
        )
        assert {r.status_code for r in responses} == {201}
        assert len({r.content for r in responses}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
        rows = await inventory_rows(services, inventory.account.tenant_id, ("stock_movements",))
        assert len(rows["stock_movements"]) == 1
        assert await inventory.on_hand(place["product"], place["location"]) == 2


class TestRetention:
    async def test_prune_removes_keys_older_than_the_cut_and_keeps_the_rest(
        self,
        inventory: Inventory,
        place: dict[str, Any],
        database: Database,
        owner_conn: Any,
    ) -> None:
        ok(await inventory.move(receipt(place), key="old"), 201)
        ok(await inventory.move(receipt(place), key="new"), 201)
        tenant = uuid.UUID(inventory.account.tenant_id)
        async with owner_conn.transaction():
            await owner_conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            await owner_conn.execute(
                "UPDATE idempotency_keys SET created_at = now() - interval '3 days' "
                "WHERE key = 'old'"
            )
        async with database.transaction(tenant) as session:
            removed = await prune_idempotency_keys(session, datetime.now(UTC) - timedelta(days=2))
        assert removed == 1
        # "old" is gone, so it runs again; "new" is still answered from storage.
        replay = await inventory.move(receipt(place), key="new")
        assert replay.headers.get("Idempotent-Replayed") == "true"
        rerun = await inventory.move(receipt(place), key="old")
        assert "Idempotent-Replayed" not in rerun.headers
        assert await inventory.on_hand(place["product"], place["location"]) == 15

    async def test_prune_refuses_to_cut_into_the_24_hour_retention(
        self, database: Database, inventory: Inventory
    ) -> None:
        tenant = uuid.UUID(inventory.account.tenant_id)
        async with database.transaction(tenant) as session:
            with pytest.raises(ValueError, match="24 hours"):
                await prune_idempotency_keys(session, datetime.now(UTC) - timedelta(hours=1))
