"""Offline-safe stock counts: the adjustment is computed against the ledger as of the
moment of counting and applied now, so movements recorded since are not erased."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.inventory.conftest import TABLES, Inventory, inventory_rows, mismatches

ALL_TABLES = (*TABLES, "reservations", "outbox_events")


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, Any]:
    a = await inventory.warehouse("A")
    return {
        "a": a["default_location_id"],
        "bolt": (await inventory.product(sku="BOLT"))["id"],
        "nut": (await inventory.product(sku="NUT"))["id"],
    }


def count_body(location_id: str, counted_at: str, *lines: tuple[str, str]) -> dict[str, Any]:
    return {
        "location_id": location_id,
        "counted_at": counted_at,
        "lines": [{"product_id": p, "counted_quantity": q} for p, q in lines],
    }


class TestCounts:
    async def test_a_late_synced_count_keeps_the_movements_recorded_since(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        bolt, a = stock["bolt"], stock["a"]
        receipt = await inventory.receive(bolt, a, "10")
        counted_at = receipt["recorded_at"]  # the scanner counts right after the receipt
        issue = {"kind": "issue", "product_id": bolt, "from_location_id": a, "quantity": "3"}
        ok(await inventory.move(issue), 201)  # recorded after the count was taken

        result = ok(await inventory.post("/stock/counts", count_body(a, counted_at, (bolt, "8"))))
        (line,) = result["lines"]
        assert (line["counted_quantity"], line["on_hand_as_of"], line["adjustment"]) == (
            "8",
            "10",
            "-2",
        )
        assert line["movement_id"] is not None
        assert await inventory.on_hand(bolt, a) == 5  # not 8: the issue still counts
        movements = ok(await inventory.get("/stock/movements", batch_id=result["batch_id"]))
        (movement,) = movements["items"]
        assert movement["id"] == line["movement_id"]
        assert (movement["kind"], movement["quantity"]) == ("count", "2")
        assert (movement["from_location_id"], movement["to_location_id"]) == (a, None)
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_lines_matching_the_ledger_move_nothing_and_others_adjust_up(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt, nut, a = stock["bolt"], stock["nut"], stock["a"]
        await inventory.receive(bolt, a, "10")
        tenant = inventory.account.tenant_id
        before = await inventory_rows(services, tenant, ("stock_movements",))

        same = ok(
            await inventory.post("/stock/counts", count_body(a, utcnow().isoformat(), (bolt, "10")))
        )
        assert same["batch_id"] is None
        assert same["lines"][0]["adjustment"] == "0"
        assert same["lines"][0]["movement_id"] is None
        assert await inventory_rows(services, tenant, ("stock_movements",)) == before

        mixed = ok(
            await inventory.post(
                "/stock/counts", count_body(a, utcnow().isoformat(), (bolt, "10"), (nut, "4"))
            )
        )
        assert [(ln["on_hand_as_of"], ln["adjustment"]) for ln in mixed["lines"]] == [
            ("10", "0"),
            ("0", "4"),
        ]
        assert mixed["lines"][0]["movement_id"] is None
        assert mixed["lines"][1]["movement_id"] is not None
        assert await inventory.on_hand(nut, a) == 4

    async def test_a_count_is_atomic_and_cannot_go_below_reserved_stock(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt, nut, a = stock["bolt"], stock["nut"], stock["a"]
        await inventory.receive(bolt, a, "10")
        reservation = {"product_id": bolt, "location_id": a, "quantity": "8", "reference": "SO"}
        ok(await inventory.post("/stock/reservations", reservation), 201)
        tenant = inventory.account.tenant_id
        before = await inventory_rows(services, tenant, ALL_TABLES)
        response = await inventory.post(
            "/stock/counts", count_body(a, utcnow().isoformat(), (nut, "3"), (bolt, "5"))
        )
        assert response.status_code == 409
        assert response.json()["code"] == "insufficient-stock"
        assert await inventory_rows(services, tenant, ALL_TABLES) == before

    @pytest.mark.parametrize(
        ("change", "field", "code"),
        [
            ({"counted_at": "future"}, "counted_at", "invalid-movement"),
            ({"counted_at": "2026-01-01T10:00:00"}, "counted_at", "validation-failed"),
            ({"counted_quantity": "-1"}, "lines.0.counted_quantity", "invalid-movement"),
            ({"counted_quantity": "1.5"}, "lines.0.counted_quantity", "invalid-movement"),
            (
                {"location_id": "00000000-0000-7000-8000-000000000009"},
                "location_id",
                "invalid-movement",
            ),
        ],
    )
    async def test_invalid_counts_are_422_and_write_nothing(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        services: TestServices,
        change: dict[str, str],
        field: str,
        code: str,
    ) -> None:
        await inventory.receive(stock["bolt"], stock["a"], "10")
        tenant = inventory.account.tenant_id
        before = await inventory_rows(services, tenant, ALL_TABLES)
        counted_at = change.get("counted_at", utcnow().isoformat())
        if counted_at == "future":
            counted_at = (utcnow() + timedelta(hours=1)).isoformat()
        body = count_body(
            change.get("location_id", stock["a"]),
            counted_at,
            (stock["bolt"], change.get("counted_quantity", "3")),
        )
        response = await inventory.post("/stock/counts", body)
        errors = problem(response, 422, code)["errors"]
        assert [e["field"] for e in errors] == [field]
        assert await inventory_rows(services, tenant, ALL_TABLES) == before

    async def test_a_viewer_cannot_count(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        client: AsyncClient,
        identity: Identity,
        services: TestServices,
    ) -> None:
        viewer = Inventory(client, await identity.member(inventory.account, "viewer"))
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        response = await viewer.post(
            "/stock/counts", count_body(stock["a"], utcnow().isoformat(), (stock["bolt"], "1"))
        )
        problem(response, 403, "permission-denied")
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before
