"""Reservations: reserving, fulfilling, releasing, expiry, and what they do to available."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient

from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.inventory.public import release_expired_reservations
from tests.builders import nothing_written, problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.inventory.conftest import TABLES, Inventory, inventory_rows, mismatches, outbox_types

ALL_TABLES = (*TABLES, "reservations", "outbox_events")


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, Any]:
    """Warehouse A with 10 bolts at its default location."""
    a = await inventory.warehouse("A")
    bolt = await inventory.product(sku="BOLT")
    await inventory.receive(bolt["id"], a["default_location_id"], "10")
    return {"a": a["default_location_id"], "bolt": bolt["id"]}


async def reserve(
    inventory: Inventory, stock: dict[str, Any], quantity: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "product_id": stock["bolt"],
        "location_id": stock["a"],
        "quantity": quantity,
        "reference": "SO-1",
        **fields,
    }
    return ok(await inventory.post("/stock/reservations", body), 201)


async def level(inventory: Inventory, stock: dict[str, Any]) -> tuple[str, str, str]:
    (row,) = await inventory.levels(product_id=stock["bolt"], location_id=stock["a"])
    return row["on_hand"], row["reserved"], row["available"]


class TestLifecycle:
    async def test_reserve_then_fulfil_issues_the_stock_through_the_ledger(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        database: Database,
        services: TestServices,
    ) -> None:
        response = await inventory.post(
            "/stock/reservations",
            {
                "product_id": stock["bolt"],
                "location_id": stock["a"],
                "quantity": "4",
                "reference": "SO-1",
            },
        )
        created = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/stock/reservations/{created['id']}"
        assert created["status"] == "active"
        assert created["created_by"] == inventory.account.user_id
        assert (created["level"]["reserved"], created["level"]["available"]) == ("4", "6")
        assert await level(inventory, stock) == ("10", "4", "6")
        fetched = ok(await inventory.get(f"/stock/reservations/{created['id']}"))
        assert fetched["status"] == "active"

        fulfilled = ok(await inventory.post(f"/stock/reservations/{created['id']}/fulfil", {}))
        assert fulfilled["status"] == "fulfilled"
        assert await level(inventory, stock) == ("6", "0", "6")
        movements = ok(await inventory.get("/stock/movements", batch_id=fulfilled["batch_id"]))
        (line,) = movements["items"]
        assert (line["kind"], line["from_location_id"], line["to_location_id"]) == (
            "fulfilment",
            stock["a"],
            None,
        )
        assert (line["quantity"], line["reference"]) == ("4", "SO-1")
        assert await mismatches(database, inventory.account.tenant_id) == []

        types = [kind for kind, _ in await outbox_types(services, inventory.account.tenant_id)]
        assert types.count("inventory.reservation.created") == 1
        assert types.count("inventory.reservation.fulfilled") == 1
        assert types.index("inventory.reservation.fulfilled") > types.index(
            "inventory.reservation.created"
        )

    async def test_release_gives_the_stock_back_once(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        reservation = await reserve(inventory, stock, "3")
        released = ok(await inventory.delete(f"/stock/reservations/{reservation['id']}"))
        assert released["status"] == "released"
        assert await level(inventory, stock) == ("10", "0", "10")
        async with nothing_written(services, inventory.account.tenant_id, ALL_TABLES):
            again = await inventory.delete(f"/stock/reservations/{reservation['id']}")
            fulfil = await inventory.post(f"/stock/reservations/{reservation['id']}/fulfil", {})
        for refused in (again, fulfil):
            body = problem(refused, 409, "reservation-not-active")
            assert body["reservation_status"] == "released"
        events = await outbox_types(services, inventory.account.tenant_id)
        released_events = [p for k, p in events if k == "inventory.reservation.released"]
        assert [(e["id"], e["status"]) for e in released_events] == [
            (reservation["id"], "released")
        ]

    async def test_a_fulfilled_reservation_cannot_be_released(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        reservation = await reserve(inventory, stock, "2")
        ok(await inventory.post(f"/stock/reservations/{reservation['id']}/fulfil", {}))
        response = await inventory.delete(f"/stock/reservations/{reservation['id']}")
        problem(response, 409, "reservation-not-active")
        assert await level(inventory, stock) == ("8", "0", "8")

    async def test_list_filters_by_status_and_product_and_pages(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        first = await reserve(inventory, stock, "1")
        second = await reserve(inventory, stock, "1")
        third = await reserve(inventory, stock, "1")
        ok(await inventory.delete(f"/stock/reservations/{second['id']}"))
        active = ok(await inventory.get("/stock/reservations", status="active"))
        assert [r["id"] for r in active["items"]] == [third["id"], first["id"]]
        page = ok(await inventory.get("/stock/reservations", limit=2, product_id=stock["bolt"]))
        assert [r["id"] for r in page["items"]] == [third["id"], second["id"]]
        rest = ok(await inventory.get("/stock/reservations", limit=2, cursor=page["next_cursor"]))
        assert [r["id"] for r in rest["items"]] == [first["id"]]
        assert rest["next_cursor"] is None
        other = ok(await inventory.get("/stock/reservations", product_id=str(uuid.uuid4())))
        assert other["items"] == []


class TestPartialFulfilment:
    async def test_fulfilling_three_of_ten_issues_three_and_keeps_seven_reserved(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        database: Database,
        services: TestServices,
    ) -> None:
        reservation = await reserve(inventory, stock, "10")
        path = f"/stock/reservations/{reservation['id']}/fulfil"
        part = ok(await inventory.post(path, {"quantity": "3"}))
        assert (part["status"], part["quantity"]) == ("active", "10")
        assert (part["fulfilled_quantity"], part["open_quantity"]) == ("3", "7")
        assert (part["level"]["on_hand"], part["level"]["reserved"]) == ("7", "7")
        assert await level(inventory, stock) == ("7", "7", "0")
        fetched = ok(await inventory.get(f"/stock/reservations/{reservation['id']}"))
        assert (fetched["fulfilled_quantity"], fetched["open_quantity"]) == ("3", "7")
        (line,) = ok(await inventory.get("/stock/movements", batch_id=part["batch_id"]))["items"]
        assert (line["kind"], line["quantity"], line["from_location_id"]) == (
            "fulfilment",
            "3",
            stock["a"],
        )

        rest = ok(await inventory.post(path, None))  # no body: all that is still open
        assert (rest["status"], rest["fulfilled_quantity"], rest["open_quantity"]) == (
            "fulfilled",
            "10",
            "0",
        )
        assert await level(inventory, stock) == ("0", "0", "0")
        (last,) = ok(await inventory.get("/stock/movements", batch_id=rest["batch_id"]))["items"]
        assert last["quantity"] == "7"
        assert await mismatches(database, inventory.account.tenant_id) == []

        events = await outbox_types(services, inventory.account.tenant_id)
        fulfilled = [p for k, p in events if k == "inventory.reservation.fulfilled"]
        assert [
            (e["status"], e["fulfilled_quantity"], e["open_quantity"], e["batch_id"])
            for e in fulfilled
        ] == [("active", "3", "7", part["batch_id"]), ("fulfilled", "10", "0", rest["batch_id"])]
        moved = {p["batch_id"]: p["lines"] for k, p in events if k == "inventory.stock.moved"}
        assert [line["quantity"] for line in moved[part["batch_id"]]] == ["3"]
        assert [line["quantity"] for line in moved[rest["batch_id"]]] == ["7"]

    async def test_releasing_a_partly_fulfilled_reservation_gives_back_only_the_open_rest(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        reservation = await reserve(inventory, stock, "6")
        ok(
            await inventory.post(
                f"/stock/reservations/{reservation['id']}/fulfil", {"quantity": "2"}
            )
        )
        released = ok(await inventory.delete(f"/stock/reservations/{reservation['id']}"))
        assert (released["status"], released["fulfilled_quantity"], released["open_quantity"]) == (
            "released",
            "2",
            "0",
        )
        assert await level(inventory, stock) == ("8", "0", "8")
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_a_partly_fulfilled_reservation_expires_with_its_open_rest(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        now = utcnow()
        reservation = await reserve(
            inventory, stock, "5", expires_at=(now + timedelta(hours=1)).isoformat()
        )
        ok(
            await inventory.post(
                f"/stock/reservations/{reservation['id']}/fulfil", {"quantity": "1"}
            )
        )
        tenant = uuid.UUID(inventory.account.tenant_id)
        async with database.transaction(tenant) as session:
            assert (
                await release_expired_reservations(session, tenant, now + timedelta(hours=2)) == 1
            )
        assert await level(inventory, stock) == ("9", "0", "9")
        assert await mismatches(database, inventory.account.tenant_id) == []

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"quantity": "11"}, "quantity", "invalid-movement"),
            ({"quantity": "0"}, "quantity", "invalid-movement"),
            ({"quantity": "1.5"}, "quantity", "invalid-movement"),
            ({"quantity": "abc"}, "quantity", "validation-failed"),
            ({"quantity": "3", "note": "x"}, "note", "validation-failed"),
            ({"qty": "3"}, "qty", "validation-failed"),
        ],
    )
    async def test_what_cannot_be_fulfilled_as_written_is_422_and_changes_nothing(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        services: TestServices,
        body: dict[str, Any],
        field: str,
        code: str,
    ) -> None:
        reservation = await reserve(inventory, stock, "10")
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        response = await inventory.post(f"/stock/reservations/{reservation['id']}/fulfil", body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == code
        assert [e["field"] for e in problem["errors"]] == [field]
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before

    async def test_more_than_is_still_open_is_422_naming_what_is_open(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        reservation = await reserve(inventory, stock, "10")
        path = f"/stock/reservations/{reservation['id']}/fulfil"
        ok(await inventory.post(path, {"quantity": "4"}))
        response = await inventory.post(path, {"quantity": "7"})
        problem(response, 422, "invalid-movement")
        (error,) = response.json()["errors"]
        assert (error["field"], error["type"]) == ("quantity", "exceeds_open_quantity")
        assert "Only 6 of this reservation is still open" in error["message"]
        assert await level(inventory, stock) == ("6", "6", "0")


class TestAvailability:
    async def test_reserving_more_than_available_is_409_and_writes_nothing(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        await reserve(inventory, stock, "6")
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        response = await inventory.post(
            "/stock/reservations",
            {
                "product_id": stock["bolt"],
                "location_id": stock["a"],
                "quantity": "5",
                "reference": "SO-2",
            },
        )
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "insufficient-stock"
        assert (body["product_id"], body["location_id"]) == (stock["bolt"], stock["a"])
        assert (body["requested"], body["available"]) == ("5", "4")
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before

    async def test_an_issue_cannot_eat_reserved_stock(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        await reserve(inventory, stock, "8")
        issue = {"kind": "issue", "product_id": stock["bolt"], "from_location_id": stock["a"]}
        refused = await inventory.move({**issue, "quantity": "3"})
        problem(refused, 409, "insufficient-stock")
        assert refused.json()["available"] == "2"
        ok(await inventory.move({**issue, "quantity": "2"}), 201)
        assert await level(inventory, stock) == ("8", "8", "0")
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_a_negative_location_may_reserve_beyond_stock(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        warehouse = await inventory.warehouse("N")
        loose = await inventory.location(warehouse["id"], "LOOSE", allow_negative=True)
        created = await reserve(inventory, {**stock, "a": loose["id"]}, "5")
        assert created["level"]["available"] == "-5"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("quantity", "1.5"),
            ("quantity", "0"),
            ("product_id", "00000000-0000-7000-8000-000000000001"),
            ("location_id", "00000000-0000-7000-8000-000000000002"),
            ("expires_at", "2020-01-01T00:00:00Z"),
        ],
    )
    async def test_what_cannot_be_reserved_as_written_is_422(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        services: TestServices,
        field: str,
        value: str,
    ) -> None:
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        body = {
            "product_id": stock["bolt"],
            "location_id": stock["a"],
            "quantity": "1",
            "reference": "SO-1",
            field: value,
        }
        response = await inventory.post("/stock/reservations", body)
        problem(response, 422, "invalid-movement")
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before


class TestExpiry:
    async def test_only_expired_active_reservations_are_released(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        database: Database,
        services: TestServices,
    ) -> None:
        now = utcnow()
        soon = await reserve(
            inventory, stock, "1", expires_at=(now + timedelta(hours=1)).isoformat()
        )
        later = await reserve(
            inventory, stock, "2", expires_at=(now + timedelta(hours=3)).isoformat()
        )
        forever = await reserve(inventory, stock, "3")
        done = await reserve(
            inventory, stock, "1", expires_at=(now + timedelta(hours=1)).isoformat()
        )
        ok(await inventory.post(f"/stock/reservations/{done['id']}/fulfil", {}))

        tenant = uuid.UUID(inventory.account.tenant_id)
        async with database.transaction(tenant) as session:
            released = await release_expired_reservations(session, tenant, now + timedelta(hours=2))
        assert released == 1
        statuses = {
            r["id"]: r["status"] for r in ok(await inventory.get("/stock/reservations"))["items"]
        }
        assert statuses == {
            soon["id"]: "expired",
            later["id"]: "active",
            forever["id"]: "active",
            done["id"]: "fulfilled",
        }
        assert await level(inventory, stock) == ("9", "5", "4")
        events = await outbox_types(services, inventory.account.tenant_id)
        expired = [p for k, p in events if k == "inventory.reservation.released"]
        assert [(e["id"], e["status"], e["level"]["reserved"]) for e in expired] == [
            (soon["id"], "expired", "5")
        ]
        async with database.transaction(tenant) as session:
            assert (
                await release_expired_reservations(session, tenant, now + timedelta(hours=2)) == 0
            )
        assert await mismatches(database, inventory.account.tenant_id) == []


class TestAccess:
    async def test_another_tenants_reservation_is_404_and_lists_do_not_leak(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        client: AsyncClient,
        identity: Identity,
        services: TestServices,
    ) -> None:
        other = Inventory(client, await identity.signup("Beta"))
        warehouse = await other.warehouse("B")
        product = await other.product(sku="BOLT")
        await other.receive(product["id"], warehouse["default_location_id"], "5")
        theirs = await reserve(
            other, {"bolt": product["id"], "a": warehouse["default_location_id"]}, "2"
        )
        mine = await reserve(inventory, stock, "1")
        before = await inventory_rows(services, other.account.tenant_id, ALL_TABLES)
        responses = {
            "get": await inventory.get(f"/stock/reservations/{theirs['id']}"),
            "fulfil": await inventory.post(f"/stock/reservations/{theirs['id']}/fulfil", {}),
            "release": await inventory.delete(f"/stock/reservations/{theirs['id']}"),
        }
        assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(
            responses, 404
        )
        listed = ok(await inventory.get("/stock/reservations"))
        assert [r["id"] for r in listed["items"]] == [mine["id"]]
        assert await inventory_rows(services, other.account.tenant_id, ALL_TABLES) == before

    async def test_a_viewer_may_read_but_not_reserve_fulfil_or_release(
        self, inventory: Inventory, stock: dict[str, Any], client: AsyncClient, identity: Identity
    ) -> None:
        reservation = await reserve(inventory, stock, "1")
        viewer = Inventory(client, await identity.member(inventory.account, "viewer"))
        body = {
            "product_id": stock["bolt"],
            "location_id": stock["a"],
            "quantity": "1",
            "reference": "SO-9",
        }
        attempts = {
            "reserve": await viewer.post("/stock/reservations", body),
            "fulfil": await viewer.post(f"/stock/reservations/{reservation['id']}/fulfil", {}),
            "release": await viewer.delete(f"/stock/reservations/{reservation['id']}"),
        }
        assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 403)
        assert ok(await viewer.get(f"/stock/reservations/{reservation['id']}"))["status"] == (
            "active"
        )
        assert await level(inventory, stock) == ("10", "1", "9")

    async def test_replaying_an_idempotency_key_reserves_once(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        body = {
            "product_id": stock["bolt"],
            "location_id": stock["a"],
            "quantity": "2",
            "reference": "SO-1",
        }
        headers = {**inventory.headers, "Idempotency-Key": "res-1"}
        first = await inventory.client.post(
            "/api/v1/stock/reservations", headers=headers, json=body
        )
        second = await inventory.client.post(
            "/api/v1/stock/reservations", headers=headers, json=body
        )
        assert (first.status_code, second.status_code) == (201, 201)
        assert second.headers["Idempotent-Replayed"] == "true"
        assert first.json() == second.json()
        assert await level(inventory, stock) == ("10", "2", "8")
        assert Decimal(first.json()["quantity"]) == 2
