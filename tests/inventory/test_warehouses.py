"""Warehouses (each born with a default location) and locations."""

from __future__ import annotations

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.inventory.conftest import Inventory


class TestWarehouses:
    async def test_creating_a_warehouse_creates_its_default_location(
        self, inventory: Inventory
    ) -> None:
        response = await inventory.post(
            "/warehouses", {"code": "MAIN", "name": "Main", "address": "1 Dock Road"}
        )
        warehouse = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/warehouses/{warehouse['id']}"
        assert response.headers["ETag"] == '"1"'
        assert warehouse["address"] == "1 Dock Road"
        locations = ok(await inventory.get("/locations", warehouse_id=warehouse["id"]))["items"]
        assert [(loc["code"], loc["is_default"], loc["allow_negative"]) for loc in locations] == [
            ("DEFAULT", True, False)
        ]
        assert locations[0]["id"] == warehouse["default_location_id"]

    async def test_codes_are_unique_case_insensitively(self, inventory: Inventory) -> None:
        await inventory.warehouse("MAIN")
        response = await inventory.post("/warehouses", {"code": "main", "name": "Other"})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "warehouse-code-taken"

    async def test_patch_with_a_stale_etag_is_412_and_a_fresh_one_wins(
        self, inventory: Inventory
    ) -> None:
        warehouse = await inventory.warehouse("MAIN")
        path = f"/warehouses/{warehouse['id']}"
        changed = await inventory.patch(path, {"name": "Renamed"}, {"If-Match": '"1"'})
        assert ok(changed)["version"] == 2
        assert changed.headers["ETag"] == '"2"'
        stale = await inventory.patch(path, {"name": "Again"}, {"If-Match": '"1"'})
        problem(stale, 412, "precondition-failed")
        assert ok(await inventory.get(path))["name"] == "Renamed"

    async def test_list_is_paginated_by_code(self, inventory: Inventory) -> None:
        for code in ("C", "a", "B"):
            await inventory.warehouse(code)
        first = ok(await inventory.get("/warehouses", limit=2))
        second = ok(await inventory.get("/warehouses", limit=2, cursor=first["next_cursor"]))
        assert [w["code"] for w in first["items"] + second["items"]] == ["a", "B", "C"]
        assert second["next_cursor"] is None


class TestLocations:
    async def test_codes_are_unique_within_a_warehouse_only(self, inventory: Inventory) -> None:
        one, two = await inventory.warehouse("ONE"), await inventory.warehouse("TWO")
        await inventory.location(one["id"], "A-1")
        await inventory.location(two["id"], "A-1")
        response = await inventory.post(
            "/locations", {"warehouse_id": one["id"], "code": "a-1", "name": "dup"}
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "location-code-taken"

    async def test_an_unknown_warehouse_in_the_body_is_422_naming_the_field(
        self, inventory: Inventory
    ) -> None:
        response = await inventory.post(
            "/locations",
            {"warehouse_id": "01890000-0000-7000-8000-000000000000", "code": "X", "name": "X"},
        )
        problem(response, 422, "unknown-warehouse")
        assert response.json()["errors"][0]["field"] == "warehouse_id"

    async def test_patch_changes_allow_negative_with_etag(self, inventory: Inventory) -> None:
        warehouse = await inventory.warehouse()
        location = await inventory.location(warehouse["id"], "BIN")
        response = await inventory.patch(
            f"/locations/{location['id']}", {"allow_negative": True}, {"If-Match": '"1"'}
        )
        assert ok(response)["allow_negative"] is True
        assert response.headers["ETag"] == '"2"'
