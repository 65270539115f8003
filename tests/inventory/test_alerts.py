"""Reorder alerts: one non-resolved alert per (product, warehouse) at or below the reorder
point, raised and resolved by the ledger writer in the moving transaction."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import nothing_written, problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.inventory.conftest import Inventory, outbox_types

STOCK_TABLES = ("stock_levels", "stock_movements", "reservations", "stock_alerts", "outbox_events")


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, Any]:
    """Warehouse A (default location and a bin), warehouse B, a bolt reordered at 5."""
    a = await inventory.warehouse("A")
    b = await inventory.warehouse("B")
    bin_ = await inventory.location(a["id"], "BIN")
    bolt = await inventory.product(sku="BOLT", reorder_point="5")
    return {
        "a": a["default_location_id"],
        "bin": bin_["id"],
        "b": b["default_location_id"],
        "warehouse_a": a["id"],
        "warehouse_b": b["id"],
        "bolt": bolt["id"],
    }


async def issue(inventory: Inventory, product_id: str, location_id: str, quantity: str) -> None:
    body = {
        "kind": "issue",
        "product_id": product_id,
        "from_location_id": location_id,
        "quantity": quantity,
    }
    ok(await inventory.move(body), 201)


async def alerts(inventory: Inventory, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(await inventory.get("/stock/alerts", **params))["items"]
    return items


async def alert_events(
    services: TestServices, inventory: Inventory
) -> list[tuple[str, dict[str, Any]]]:
    return [
        (kind, payload)
        for kind, payload in await outbox_types(services, inventory.account.tenant_id)
        if kind.startswith("inventory.alert.")
    ]


class TestRaiseAndResolve:
    async def test_one_alert_per_warehouse_raised_once_and_resolved_by_a_receipt(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt = stock["bolt"]
        await inventory.receive(bolt, stock["a"], "6")
        await inventory.receive(bolt, stock["bin"], "4")
        await inventory.receive(bolt, stock["b"], "10")
        assert await alerts(inventory) == []  # A has 10 in total, B 10

        await issue(inventory, bolt, stock["bin"], "4")  # A: 6
        assert await alerts(inventory) == []
        await issue(inventory, bolt, stock["a"], "1")  # A: 5, at the point
        await issue(inventory, bolt, stock["a"], "2")  # A: 3, still one alert
        (alert,) = await alerts(inventory, status="open")
        assert (alert["product_id"], alert["warehouse_id"]) == (bolt, stock["warehouse_a"])
        events = await alert_events(services, inventory)
        assert [(kind, p["id"], p["available"]) for kind, p in events] == [
            ("inventory.alert.raised", alert["id"], "5")
        ]

        await inventory.receive(bolt, stock["bin"], "3")  # A: 6, above the point
        assert await alerts(inventory, status="open") == []
        (resolved,) = await alerts(inventory, status="resolved")
        assert resolved["id"] == alert["id"]
        assert resolved["resolved_at"] is not None
        events = await alert_events(services, inventory)
        assert [kind for kind, _ in events] == [
            "inventory.alert.raised",
            "inventory.alert.resolved",
        ]
        assert events[1][1]["available"] == "6"

        await issue(inventory, bolt, stock["a"], "1")  # A: 5 again: a new alert
        (again,) = await alerts(inventory, status="open")
        assert again["id"] != alert["id"]

    async def test_reserved_stock_counts_against_the_reorder_point(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "8")
        body = {
            "product_id": stock["bolt"],
            "location_id": stock["a"],
            "quantity": "3",
            "reference": "SO-1",
        }
        reservation = ok(await inventory.post("/stock/reservations", body), 201)
        assert [a["status"] for a in await alerts(inventory)] == ["open"]
        ok(await inventory.delete(f"/stock/reservations/{reservation['id']}"))
        assert [a["status"] for a in await alerts(inventory)] == ["resolved"]

    async def test_an_alert_resolves_after_its_reorder_point_is_removed(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "2")
        assert [a["status"] for a in await alerts(inventory)] == ["open"]
        ok(await inventory.patch(f"/products/{stock['bolt']}", {"reorder_point": "0"}))
        await inventory.receive(stock["bolt"], stock["a"], "1")
        assert [a["status"] for a in await alerts(inventory)] == ["resolved"]

    async def test_no_alerts_without_a_reorder_point(self, inventory: Inventory) -> None:
        warehouse = await inventory.warehouse("C")
        nut = await inventory.product(sku="NUT")
        await inventory.receive(nut["id"], warehouse["default_location_id"], "1")
        await issue(inventory, nut["id"], warehouse["default_location_id"], "1")
        assert await alerts(inventory) == []

    async def test_one_batch_raises_and_resolves_alerts_of_several_pairs(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt, nut = stock["bolt"], (await inventory.product(sku="NUT", reorder_point="2"))["id"]
        await inventory.receive(bolt, stock["a"], "9")
        await inventory.receive(nut, stock["b"], "1")  # B: nut at 1, below 2
        assert [(a["product_id"], a["warehouse_id"]) for a in await alerts(inventory)] == [
            (nut, stock["warehouse_b"])
        ]
        lines = [
            {"kind": "issue", "product_id": bolt, "from_location_id": stock["a"], "quantity": "5"},
            {"kind": "receipt", "product_id": bolt, "to_location_id": stock["b"], "quantity": "1"},
            {"kind": "receipt", "product_id": nut, "to_location_id": stock["b"], "quantity": "5"},
        ]
        ok(await inventory.move({"lines": lines}), 201)
        open_pairs = {
            (a["product_id"], a["warehouse_id"])
            for a in await alerts(inventory)
            if a["status"] == "open"
        }
        # Bolt: A 4 (≤ 5) and B 1 (≤ 5) raised; nut: B 6 (> 2) resolved.
        assert open_pairs == {(bolt, stock["warehouse_a"]), (bolt, stock["warehouse_b"])}
        events = [
            (kind, p["product_id"], p["warehouse_id"], p["available"])
            for kind, p in await alert_events(services, inventory)
        ]
        assert sorted(events[1:]) == sorted(
            [
                ("inventory.alert.raised", bolt, stock["warehouse_a"], "4"),
                ("inventory.alert.raised", bolt, stock["warehouse_b"], "1"),
                ("inventory.alert.resolved", nut, stock["warehouse_b"], "6"),
            ]
        )

    async def test_a_transfer_inside_one_warehouse_leaves_its_alert_alone(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt = stock["bolt"]
        await inventory.receive(bolt, stock["a"], "4")  # A: 4, raised
        before = await alert_events(services, inventory)
        body = {
            "kind": "transfer",
            "product_id": bolt,
            "from_location_id": stock["a"],
            "to_location_id": stock["bin"],
            "quantity": "3",
        }
        ok(await inventory.move(body), 201)
        assert await alert_events(services, inventory) == before
        assert [a["status"] for a in await alerts(inventory)] == ["open"]
        # Across warehouses it counts: A falls to 1 (still open), B rises to 1 (raised).
        ok(
            await inventory.move(
                {
                    **body,
                    "from_location_id": stock["bin"],
                    "to_location_id": stock["b"],
                    "quantity": "1",
                }
            ),
            201,
        )
        assert sorted(a["warehouse_id"] for a in await alerts(inventory, status="open")) == sorted(
            [stock["warehouse_a"], stock["warehouse_b"]]
        )


class TestAcknowledge:
    async def test_an_open_alert_is_acknowledged_once_and_still_resolves(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        client: AsyncClient,
        identity: Identity,
        services: TestServices,
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "2")
        (alert,) = await alerts(inventory)
        viewer = Inventory(client, await identity.member(inventory.account, "viewer"))
        tenant = inventory.account.tenant_id
        async with nothing_written(services, tenant, STOCK_TABLES):
            denied = await viewer.post(f"/stock/alerts/{alert['id']}/acknowledge", {})
        assert "'stock:write'" in problem(denied, 403, "permission-denied")["detail"]

        acknowledged = ok(await inventory.post(f"/stock/alerts/{alert['id']}/acknowledge", {}))
        assert acknowledged["status"] == "acknowledged"
        assert acknowledged["acknowledged_by"] == inventory.account.user_id
        assert acknowledged["acknowledged_at"] is not None
        async with nothing_written(services, tenant, STOCK_TABLES):
            again = await inventory.post(f"/stock/alerts/{alert['id']}/acknowledge", {})
        assert "is acknowledged" in problem(again, 409, "alert-not-open")["detail"]

        await issue(inventory, stock["bolt"], stock["a"], "1")  # still low: no second alert
        assert [a["id"] for a in await alerts(viewer)] == [alert["id"]]
        assert [a["id"] for a in await alerts(inventory, status="acknowledged")] == [alert["id"]]

        await inventory.receive(stock["bolt"], stock["a"], "10")
        assert [a["status"] for a in await alerts(inventory)] == ["resolved"]
        async with nothing_written(services, tenant, STOCK_TABLES):
            resolved = await inventory.post(f"/stock/alerts/{alert['id']}/acknowledge", {})
        assert "is resolved" in problem(resolved, 409, "alert-not-open")["detail"]

    async def test_another_tenants_alert_is_404_and_lists_do_not_leak(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        client: AsyncClient,
        identity: Identity,
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "2")
        (alert,) = await alerts(inventory)
        other = Inventory(client, await identity.signup("Beta"))
        assert await alerts(other) == []
        problem(await other.get(f"/stock/alerts/{alert['id']}"), 404, "alert-not-found")
        response = await other.post(f"/stock/alerts/{alert['id']}/acknowledge", {})
        problem(response, 404, "alert-not-found")
        assert [a["status"] for a in await alerts(inventory)] == ["open"]

    async def test_the_list_pages_newest_first(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "1")
        await inventory.receive(stock["bolt"], stock["b"], "1")
        page = ok(await inventory.get("/stock/alerts", limit=1))
        (newest,) = page["items"]
        assert newest["warehouse_id"] == stock["warehouse_b"]
        rest = ok(await inventory.get("/stock/alerts", limit=1, cursor=page["next_cursor"]))
        assert [a["warehouse_id"] for a in rest["items"]] == [stock["warehouse_a"]]
        assert rest["next_cursor"] is None
