"""Reading stock: levels (filters, group_by, pagination), one product's stock, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.inventory.conftest import Inventory


@pytest.fixture
async def stocked(inventory: Inventory) -> dict[str, Any]:
    """Two products in two warehouses (A has two locations)."""
    a = await inventory.warehouse("A")
    b = await inventory.warehouse("B")
    bin_ = await inventory.location(a["id"], "BIN")
    p1 = (await inventory.product(sku="P1"))["id"]
    p2 = (await inventory.product(sku="P2"))["id"]
    places = {"a": a["default_location_id"], "bin": bin_["id"], "b": b["default_location_id"]}
    for product, location, quantity in (
        (p1, places["a"], "5"),
        (p1, places["bin"], "2"),
        (p1, places["b"], "4"),
        (p2, places["b"], "7"),
    ):
        await inventory.receive(product, location, quantity)
    ok(
        await inventory.move(
            {
                "kind": "issue",
                "product_id": p1,
                "from_location_id": places["a"],
                "quantity": "1",
                "reference": "SO-1",
            }
        ),
        201,
    )
    return {"p1": p1, "p2": p2, "wa": a["id"], "wb": b["id"], **places}


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[str, ...], str]:
    return {tuple(row[k] for k in keys): row["on_hand"] for row in rows}


class TestLevels:
    async def test_filters_by_product_warehouse_and_location(
        self, inventory: Inventory, stocked: dict[str, Any]
    ) -> None:
        assert _by(await inventory.levels(product_id=stocked["p1"]), "location_id") == {
            (stocked["a"],): "4",
            (stocked["bin"],): "2",
            (stocked["b"],): "4",
        }
        in_b = await inventory.levels(warehouse_id=stocked["wb"])
        assert _by(in_b, "product_id") == {(stocked["p1"],): "4", (stocked["p2"],): "7"}
        at_bin = await inventory.levels(location_id=stocked["bin"])
        assert [(r["on_hand"], r["reserved"], r["available"]) for r in at_bin] == [("2", "0", "2")]

    async def test_group_by_product_and_by_warehouse_gives_totals(
        self, inventory: Inventory, stocked: dict[str, Any]
    ) -> None:
        per_product = await inventory.levels(group_by="product")
        assert _by(per_product, "product_id") == {(stocked["p1"],): "10", (stocked["p2"],): "7"}
        per_warehouse = await inventory.levels(group_by="warehouse")
        assert _by(per_warehouse, "product_id", "warehouse_id") == {
            (stocked["p1"], stocked["wa"]): "6",
            (stocked["p1"], stocked["wb"]): "4",
            (stocked["p2"], stocked["wb"]): "7",
        }
        assert all(r["available"] == r["on_hand"] for r in per_warehouse)

    @pytest.mark.parametrize("group_by", [None, "product", "warehouse"])
    async def test_pages_cover_every_row_once(
        self, inventory: Inventory, stocked: dict[str, Any], group_by: str | None
    ) -> None:
        params = {"group_by": group_by} if group_by else {}
        everything = await inventory.levels(**params)
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            page = ok(await inventory.get("/stock/levels", limit=1, **params, **extra))
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == everything
        assert len(seen) > 1

    async def test_product_stock_summarizes_across_warehouses(
        self, inventory: Inventory, stocked: dict[str, Any]
    ) -> None:
        summary = ok(await inventory.get(f"/products/{stocked['p1']}/stock"))
        assert summary["sku"] == "P1"
        assert summary["totals"] == {"on_hand": "10", "reserved": "0", "available": "10"}
        assert [(w["code"], w["on_hand"]) for w in summary["warehouses"]] == [
            ("A", "6"),
            ("B", "4"),
        ]
        assert [
            (loc["code"], loc["available"]) for loc in summary["warehouses"][0]["locations"]
        ] == [
            ("BIN", "2"),
            ("DEFAULT", "4"),
        ]

    async def test_product_stock_of_a_product_without_stock_is_zero_and_unknown_is_404(
        self, inventory: Inventory
    ) -> None:
        product = await inventory.product()
        summary = ok(await inventory.get(f"/products/{product['id']}/stock"))
        assert (summary["totals"]["on_hand"], summary["warehouses"]) == ("0", [])
        missing = await inventory.get("/products/01890000-0000-7000-8000-000000000000/stock")
        assert missing.status_code == 404
        assert missing.json()["code"] == "product-not-found"


class TestHistory:
    async def test_newest_first_with_who_recorded_it(
        self, inventory: Inventory, stocked: dict[str, Any]
    ) -> None:
        items = ok(await inventory.get("/stock/movements"))["items"]
        assert len(items) == 5
        assert items[0]["kind"] == "issue"
        assert [i["recorded_at"] for i in items] == sorted(
            (i["recorded_at"] for i in items), reverse=True
        )
        assert {i["recorded_by_label"] for i in items} == {inventory.account.email}

    async def test_filters(self, inventory: Inventory, stocked: dict[str, Any]) -> None:
        async def count(**params: Any) -> int:
            return len(ok(await inventory.get("/stock/movements", **params))["items"])

        assert await count(product_id=stocked["p2"]) == 1
        assert await count(location_id=stocked["a"]) == 2
        assert await count(warehouse_id=stocked["wa"]) == 3
        assert await count(kind="issue") == 1
        assert await count(kind="receipt") == 4
        assert await count(reference="SO-1") == 1
        now = datetime.now(UTC)
        assert await count(**{"from": (now - timedelta(hours=1)).isoformat()}) == 5
        assert await count(**{"to": (now - timedelta(hours=1)).isoformat()}) == 0
        problem(await inventory.get("/stock/movements", kind="teleport"), 422, "validation-failed")

    async def test_pages_cover_every_movement_once(
        self, inventory: Inventory, stocked: dict[str, Any]
    ) -> None:
        everything = ok(await inventory.get("/stock/movements"))["items"]
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            extra = {"cursor": cursor} if cursor else {}
            page = ok(await inventory.get("/stock/movements", limit=2, **extra))
            seen.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert [m["id"] for m in seen] == [m["id"] for m in everything]
        bad = await inventory.get("/stock/movements", cursor="garbage")
        problem(bad, 400, "invalid-cursor")
