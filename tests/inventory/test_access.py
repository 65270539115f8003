"""Tenant isolation on every inventory route, and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.inventory.conftest import Inventory, inventory_rows


async def _populate(inventory: Inventory) -> dict[str, Any]:
    warehouse = await inventory.warehouse("SAME")
    location = await inventory.location(warehouse["id"], "BIN")
    product = await inventory.product(sku="SAME-SKU")
    batch = await inventory.receive(product["id"], location["id"], "3")
    return {"warehouse": warehouse, "location": location, "product": product, "batch": batch}


@pytest.fixture
async def other(client: AsyncClient, identity: Identity) -> Inventory:
    return Inventory(client, await identity.signup("Beta"))


class TestTenantIsolation:
    async def test_another_tenants_ids_in_the_path_are_404_and_change_nothing(
        self, inventory: Inventory, other: Inventory, services: TestServices
    ) -> None:
        await _populate(inventory)
        theirs = await _populate(other)
        before = await inventory_rows(services, other.account.tenant_id)
        warehouse_id, location_id = theirs["warehouse"]["id"], theirs["location"]["id"]
        responses = {
            "get warehouse": await inventory.get(f"/warehouses/{warehouse_id}"),
            "patch warehouse": await inventory.patch(f"/warehouses/{warehouse_id}", {"name": "x"}),
            "get location": await inventory.get(f"/locations/{location_id}"),
            "patch location": await inventory.patch(f"/locations/{location_id}", {"name": "x"}),
            "product stock": await inventory.get(f"/products/{theirs['product']['id']}/stock"),
        }
        assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(
            responses, 404
        )
        assert await inventory_rows(services, other.account.tenant_id) == before

    async def test_another_tenants_ids_in_a_body_are_422_and_change_nothing(
        self, inventory: Inventory, other: Inventory, services: TestServices
    ) -> None:
        mine = await _populate(inventory)
        theirs = await _populate(other)
        before = await inventory_rows(services, other.account.tenant_id)
        attempts = {
            "location in their warehouse": await inventory.post(
                "/locations",
                {"warehouse_id": theirs["warehouse"]["id"], "code": "X", "name": "X"},
            ),
            "their product": await inventory.move(
                {
                    "kind": "receipt",
                    "product_id": theirs["product"]["id"],
                    "to_location_id": mine["location"]["id"],
                    "quantity": "1",
                }
            ),
            "their location": await inventory.move(
                {
                    "kind": "issue",
                    "product_id": mine["product"]["id"],
                    "from_location_id": theirs["location"]["id"],
                    "quantity": "1",
                }
            ),
        }
        assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 422)
        assert await inventory_rows(services, other.account.tenant_id) == before

    async def test_lists_never_include_another_tenants_rows(
        self, inventory: Inventory, other: Inventory
    ) -> None:
        mine = await _populate(inventory)
        theirs = await _populate(other)
        their_ids = {
            theirs["warehouse"]["id"],
            theirs["location"]["id"],
            theirs["product"]["id"],
            theirs["batch"]["id"],
            theirs["batch"]["lines"][0]["id"],
        }
        listings = [
            await inventory.get("/warehouses"),
            await inventory.get("/locations"),
            await inventory.get("/stock/levels"),
            await inventory.get("/stock/levels", group_by="product"),
            await inventory.get("/stock/levels", group_by="warehouse"),
            await inventory.get("/stock/movements"),
            await inventory.get("/stock/movements", product_id=theirs["product"]["id"]),
            await inventory.get("/stock/levels", warehouse_id=theirs["warehouse"]["id"]),
        ]
        seen = {
            value
            for response in listings
            for item in ok(response)["items"]
            for value in item.values()
            if isinstance(value, str)
        }
        assert seen & their_ids == set()
        assert mine["product"]["id"] in seen


class TestPermissions:
    async def test_a_viewer_reads_but_cannot_move_stock(
        self, inventory: Inventory, identity: Identity, owner: Account
    ) -> None:
        mine = await _populate(inventory)
        viewer = Inventory(inventory.client, await identity.member(owner, "viewer"))
        assert (await viewer.get("/stock/levels")).status_code == 200
        assert (await viewer.get("/stock/movements")).status_code == 200
        assert (await viewer.get("/warehouses")).status_code == 200
        response = await viewer.move(
            {
                "kind": "receipt",
                "product_id": mine["product"]["id"],
                "to_location_id": mine["location"]["id"],
                "quantity": "1",
            }
        )
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "permission-denied"

    async def test_staff_moves_stock_but_cannot_create_or_change_warehouses(
        self, inventory: Inventory, identity: Identity, owner: Account
    ) -> None:
        mine = await _populate(inventory)
        staff = Inventory(inventory.client, await identity.member(owner, "staff"))
        moved = await staff.move(
            {
                "kind": "receipt",
                "product_id": mine["product"]["id"],
                "to_location_id": mine["location"]["id"],
                "quantity": "1",
            }
        )
        assert moved.status_code == 201, moved.text
        assert moved.json()["lines"][0]["recorded_by"] == staff.account.user_id
        denied = [
            await staff.post("/warehouses", {"code": "NEW", "name": "New"}),
            await staff.patch(f"/warehouses/{mine['warehouse']['id']}", {"name": "x"}),
            await staff.post(
                "/locations", {"warehouse_id": mine["warehouse"]["id"], "code": "N", "name": "N"}
            ),
            await staff.patch(f"/locations/{mine['location']['id']}", {"allow_negative": True}),
        ]
        assert [r.status_code for r in denied] == [403] * len(denied)

    async def test_a_manager_manages_warehouses(
        self, inventory: Inventory, identity: Identity, owner: Account
    ) -> None:
        manager = Inventory(inventory.client, await identity.member(owner, "manager"))
        assert (await manager.post("/warehouses", {"code": "M", "name": "M"})).status_code == 201

    async def test_no_credentials_is_401(self, client: AsyncClient) -> None:
        for method, path in (
            ("GET", "/api/v1/warehouses"),
            ("GET", "/api/v1/stock/levels"),
            ("POST", "/api/v1/stock/movements"),
        ):
            problem(await client.request(method, path), 401, "unauthenticated")
