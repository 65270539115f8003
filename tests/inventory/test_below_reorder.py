"""``below_reorder`` on GET /products (across warehouses) and GET /stock/levels (per
warehouse, as alerts are; across warehouses with group_by=product)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, str]:
    """Reorder points and stock chosen so each product is below in a different place:

    - P1 (point 10): A 6 + A/BIN 2 = 8 (below in A), B 20 (not), 28 in all (not).
    - P2 (point 5): A 3, B 1: below everywhere, 4 in all.
    - P3 (point 0, i.e. none): A 2: never below.
    - P4 (point 5): no stock at all: below across warehouses, no level rows.
    - P5 (point 5): A 8 on hand with 4 reserved: available 4, below in A and in all.
    """
    a = await inventory.warehouse("A")
    b = await inventory.warehouse("B")
    bin_ = await inventory.location(a["id"], "BIN")
    ids = {
        name: (await inventory.product(sku=name, reorder_point=point))["id"]
        for name, point in (("P1", "10"), ("P2", "5"), ("P3", "0"), ("P4", "5"), ("P5", "5"))
    }
    places = {"a": a["default_location_id"], "bin": bin_["id"], "b": b["default_location_id"]}
    for product, place, quantity in (
        ("P1", "a", "6"),
        ("P1", "bin", "2"),
        ("P1", "b", "20"),
        ("P2", "a", "3"),
        ("P2", "b", "1"),
        ("P3", "a", "2"),
        ("P5", "a", "8"),
    ):
        await inventory.receive(ids[product], places[place], quantity)
    reservation = {
        "product_id": ids["P5"],
        "location_id": places["a"],
        "quantity": "4",
        "reference": "SO-9",
    }
    ok(await inventory.post("/stock/reservations", reservation), 201)
    return {**ids, **places, "wa": a["id"], "wb": b["id"]}


def _skus(page: dict[str, Any]) -> set[str]:
    return {item["sku"] for item in page["items"]}


def _names(stock: dict[str, str]) -> dict[str, str]:
    return {stock[name]: name for name in ("P1", "P2", "P3", "P4", "P5")}


async def _levels(
    inventory: Inventory, stock: dict[str, str], **params: Any
) -> set[tuple[str, ...]]:
    names = _names(stock)
    places = {stock["a"]: "a", stock["bin"]: "bin", stock["b"]: "b"}
    warehouses = {stock["wa"]: "A", stock["wb"]: "B"}
    rows = await inventory.levels(**params)
    found: set[tuple[str, ...]] = set()
    for row in rows:
        if "location_id" in row:
            found.add((names[row["product_id"]], places[row["location_id"]]))
        elif row.get("warehouse_id"):
            found.add((names[row["product_id"]], warehouses[row["warehouse_id"]]))
        else:
            found.add((names[row["product_id"]],))
    return found


class TestProducts:
    async def test_below_reorder_compares_available_across_all_warehouses(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        below = ok(await inventory.get("/products", below_reorder="true"))
        assert _skus(below) == {"P2", "P4", "P5"}
        others = ok(await inventory.get("/products", below_reorder="false"))
        assert _skus(others) == {"P1", "P3"}

    async def test_combines_with_other_filters_and_pages(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        first = ok(await inventory.get("/products", below_reorder="true", limit=2))
        assert [item["sku"] for item in first["items"]] == ["P2", "P4"]
        rest = ok(
            await inventory.get(
                "/products", below_reorder="true", limit=2, cursor=first["next_cursor"]
            )
        )
        assert [item["sku"] for item in rest["items"]] == ["P5"]
        assert rest["next_cursor"] is None
        assert _skus(ok(await inventory.get("/products", below_reorder="true", q="p4"))) == {"P4"}

    async def test_follows_stock_as_it_moves(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        await inventory.receive(stock["P2"], stock["b"], "2")  # 6 in all, above 5
        below = ok(await inventory.get("/products", below_reorder="true"))
        assert _skus(below) == {"P4", "P5"}

    async def test_another_tenants_products_never_appear(
        self, inventory: Inventory, stock: dict[str, str], identity: Identity, client: AsyncClient
    ) -> None:
        other = Inventory(client, await identity.signup("Other"))
        await other.product(sku="P9", reorder_point="3")
        assert _skus(ok(await inventory.get("/products", below_reorder="true"))) == {
            "P2",
            "P4",
            "P5",
        }
        assert _skus(ok(await other.get("/products", below_reorder="true"))) == {"P9"}
        assert _skus(ok(await other.get("/products", below_reorder="false"))) == set()

    async def test_without_the_inventory_module_the_filter_is_a_clear_400(
        self, settings: Settings, stock: dict[str, str], inventory: Inventory
    ) -> None:
        catalog_only: FastAPI = create_app(settings, modules=["identity", "catalog"])
        async with (
            catalog_only.router.lifespan_context(catalog_only),
            AsyncClient(transport=ASGITransport(app=catalog_only), base_url="http://t") as http,
        ):
            response = await http.get(
                "/api/v1/products", params={"below_reorder": "true"}, headers=inventory.headers
            )
            problem(response, 400, "stock-filter-unavailable")
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "urn:quartermaster:problem:stock-filter-unavailable"
            plain = await http.get("/api/v1/products", headers=inventory.headers)
            assert plain.status_code == 200


class TestLevels:
    async def test_rows_compare_per_warehouse_like_alerts(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        assert await _levels(inventory, stock, below_reorder="true") == {
            ("P1", "a"),
            ("P1", "bin"),
            ("P2", "a"),
            ("P2", "b"),
            ("P5", "a"),
        }
        assert await _levels(inventory, stock, below_reorder="false") == {
            ("P1", "b"),
            ("P3", "a"),
        }
        assert await _levels(inventory, stock, below_reorder="true", warehouse_id=stock["wb"]) == {
            ("P2", "b")
        }

    async def test_open_alerts_are_exactly_the_pairs_below(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        alerts = ok(await inventory.get("/stock/alerts", status="open"))["items"]
        names = _names(stock)
        warehouses = {stock["wa"]: "A", stock["wb"]: "B"}
        pairs = {(names[a["product_id"]], warehouses[a["warehouse_id"]]) for a in alerts}
        grouped = await _levels(inventory, stock, below_reorder="true", group_by="warehouse")
        assert pairs == grouped == {("P1", "A"), ("P2", "A"), ("P2", "B"), ("P5", "A")}

    async def test_grouped_by_product_compares_across_warehouses(
        self, inventory: Inventory, stock: dict[str, str]
    ) -> None:
        assert await _levels(inventory, stock, below_reorder="true", group_by="product") == {
            ("P2",),
            ("P5",),
        }
        assert await _levels(inventory, stock, below_reorder="false", group_by="product") == {
            ("P1",),
            ("P3",),
        }
