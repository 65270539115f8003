"""Recording movements: each kind, atomic batches, validation, insufficient stock."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from quartermaster.core.db import Database
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices, plain
from tests.inventory.conftest import Inventory, inventory_rows, mismatches, outbox_types


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, Any]:
    """Two warehouses (A with an extra bin), a product in pieces and one in kilograms."""
    a = await inventory.warehouse("A")
    b = await inventory.warehouse("B")
    bin_ = await inventory.location(a["id"], "BIN-1")
    return {
        "a": a["default_location_id"],
        "b": b["default_location_id"],
        "bin": bin_["id"],
        "warehouse_a": a["id"],
        "warehouse_b": b["id"],
        "pcs": await inventory.product(sku="BOLT"),
        "kg": await inventory.product(sku="FLOUR", unit="kg"),
    }


class TestEachKind:
    async def test_receipt_issue_transfer_and_adjustments_move_the_levels(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        bolt = stock["pcs"]["id"]
        received = await inventory.receive(bolt, stock["a"], "10")
        assert received["levels"] == [
            {
                "product_id": bolt,
                "sku": "BOLT",
                "product_name": stock["pcs"]["name"],
                "location_id": stock["a"],
                "location_code": "DEFAULT",
                "warehouse_id": stock["warehouse_a"],
                "warehouse_code": "A",
                "on_hand": "10",
                "reserved": "0",
                "available": "10",
                "updated_at": received["recorded_at"],
            }
        ]
        issue = {"kind": "issue", "product_id": bolt, "from_location_id": stock["a"]}
        ok(await inventory.move({**issue, "quantity": "3"}), 201)
        transfer = ok(
            await inventory.move(
                {
                    "kind": "transfer",
                    "product_id": bolt,
                    "from_location_id": stock["a"],
                    "to_location_id": stock["b"],
                    "quantity": "2",
                }
            ),
            201,
        )
        assert [(lv["location_id"], lv["on_hand"]) for lv in transfer["levels"]] == sorted(
            [(stock["a"], "5"), (stock["b"], "2")]
        )
        adjustment = {"kind": "adjustment", "product_id": bolt, "reason": "recount"}
        down = ok(
            await inventory.move({**adjustment, "to_location_id": stock["a"], "quantity": "-4"}),
            201,
        )
        # An adjustment down is stored as a positive quantity leaving the location.
        assert down["lines"][0]["from_location_id"] == stock["a"]
        assert down["lines"][0]["to_location_id"] is None
        assert down["lines"][0]["quantity"] == "4"
        ok(await inventory.move({**adjustment, "to_location_id": stock["b"], "quantity": "7"}), 201)
        assert await inventory.on_hand(bolt, stock["a"]) == 1
        assert await inventory.on_hand(bolt, stock["b"]) == 9
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_the_response_names_who_recorded_it_and_points_at_the_batch(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        response = await inventory.move(
            {
                "kind": "receipt",
                "product_id": stock["kg"]["id"],
                "to_location_id": stock["a"],
                "quantity": "1.250",
                "unit_cost": "3.10",
                "reference": "PO-1",
                "note": "first delivery",
            }
        )
        batch = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/stock/movements?batch_id={batch['id']}"
        line = batch["lines"][0]
        assert (batch["reference"], line["reference"], line["note"]) == (
            "PO-1",
            "PO-1",
            "first delivery",
        )
        assert line["unit_cost"] == "3.10"
        assert line["recorded_by"] == inventory.account.user_id
        assert line["recorded_by_label"] == inventory.account.email
        assert batch["lines"][0]["batch_id"] == batch["id"]

    async def test_stock_moved_event_carries_lines_and_new_levels(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        batch = await inventory.receive(stock["pcs"]["id"], stock["a"], "5")
        events = await outbox_types(services, inventory.account.tenant_id)
        moved = [payload for kind, payload in events if kind == "inventory.stock.moved"]
        assert len(moved) == 1
        assert moved[0]["batch_id"] == batch["id"]
        assert moved[0]["kinds"] == ["receipt"]
        assert moved[0]["lines"][0]["id"] == batch["lines"][0]["id"]
        assert moved[0]["levels"][0]["on_hand"] == "5"


class TestBatches:
    async def test_a_batch_is_recorded_as_one_with_numbered_lines(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt, flour = stock["pcs"]["id"], stock["kg"]["id"]
        batch = ok(
            await inventory.move(
                {
                    "reference": "GRN-7",
                    "lines": [
                        {
                            "kind": "receipt",
                            "product_id": bolt,
                            "to_location_id": stock["a"],
                            "quantity": "4",
                        },
                        {
                            "kind": "receipt",
                            "product_id": flour,
                            "to_location_id": stock["b"],
                            "quantity": "2.5",
                        },
                    ],
                }
            ),
            201,
        )
        assert [line["line_no"] for line in batch["lines"]] == [1, 2]
        assert {line["batch_id"] for line in batch["lines"]} == {batch["id"]}
        assert len(batch["levels"]) == 2

    async def test_an_insufficient_second_line_rejects_the_whole_batch_and_writes_nothing(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt = stock["pcs"]["id"]
        await inventory.receive(bolt, stock["a"], "5")
        before = await inventory_rows(services, inventory.account.tenant_id)
        response = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "transfer",
                        "product_id": bolt,
                        "from_location_id": stock["a"],
                        "to_location_id": stock["b"],
                        "quantity": "2",
                    },
                    {
                        "kind": "issue",
                        "product_id": bolt,
                        "from_location_id": stock["a"],
                        "quantity": "4",
                    },
                ]
            }
        )
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "insufficient-stock"
        assert (problem["requested"], problem["available"]) == ("6", "5")
        assert await inventory_rows(services, inventory.account.tenant_id) == before

    async def test_lines_are_netted_per_location(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        """Taking out and putting back in one batch is judged on the net change."""
        bolt = stock["pcs"]["id"]
        batch = ok(
            await inventory.move(
                {
                    "lines": [
                        {
                            "kind": "issue",
                            "product_id": bolt,
                            "from_location_id": stock["a"],
                            "quantity": "3",
                        },
                        {
                            "kind": "receipt",
                            "product_id": bolt,
                            "to_location_id": stock["a"],
                            "quantity": "3",
                        },
                    ]
                }
            ),
            201,
        )
        assert [lv["on_hand"] for lv in batch["levels"]] == ["0"]


class TestRejections:
    async def test_insufficient_stock_names_product_location_requested_and_available(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        bolt = stock["pcs"]["id"]
        await inventory.receive(bolt, stock["bin"], "2")
        before = await inventory_rows(services, inventory.account.tenant_id)
        response = await inventory.move(
            {"kind": "issue", "product_id": bolt, "from_location_id": stock["bin"], "quantity": "3"}
        )
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert {
            k: problem[k]
            for k in (
                "code",
                "product_id",
                "sku",
                "location_id",
                "location_code",
                "requested",
                "available",
            )
        } == {
            "code": "insufficient-stock",
            "product_id": bolt,
            "sku": "BOLT",
            "location_id": stock["bin"],
            "location_code": "BIN-1",
            "requested": "3",
            "available": "2",
        }
        assert await inventory_rows(services, inventory.account.tenant_id) == before

    async def test_taking_from_a_location_that_never_held_the_product_creates_no_level(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        """The level write creates a missing row in the same statement that changes it;
        a refusal there must not leave that row behind."""
        bolt = stock["pcs"]["id"]
        await inventory.receive(bolt, stock["a"], "4")
        before = await inventory_rows(services, inventory.account.tenant_id)
        response = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "transfer",
                        "product_id": bolt,
                        "from_location_id": stock["a"],
                        "to_location_id": stock["b"],
                        "quantity": "1",
                    },
                    {
                        "kind": "issue",
                        "product_id": bolt,
                        "from_location_id": stock["bin"],
                        "quantity": "1",
                    },
                ]
            }
        )
        refusal = problem(response, 409, "insufficient-stock")
        assert (refusal["location_id"], refusal["requested"], refusal["available"]) == (
            stock["bin"],
            "1",
            "0",
        )
        after = await inventory_rows(services, inventory.account.tenant_id)
        assert after == before
        assert [row["location_id"] for row in after["stock_levels"]] == [uuid.UUID(stock["a"])]

    async def test_a_location_that_allows_negative_stock_goes_below_zero(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        loose = await inventory.location(stock["warehouse_a"], "LOOSE", allow_negative=True)
        bolt = stock["pcs"]["id"]
        batch = ok(
            await inventory.move(
                {
                    "kind": "issue",
                    "product_id": bolt,
                    "from_location_id": loose["id"],
                    "quantity": "4",
                }
            ),
            201,
        )
        assert batch["levels"][0]["available"] == "-4"
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_more_decimals_than_the_unit_allows_is_422_naming_line_and_field(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        before = await inventory_rows(services, inventory.account.tenant_id)
        single = await inventory.move(
            {
                "kind": "receipt",
                "product_id": stock["pcs"]["id"],
                "to_location_id": stock["a"],
                "quantity": "1.5",
            }
        )
        batch = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "receipt",
                        "product_id": stock["kg"]["id"],
                        "to_location_id": stock["a"],
                        "quantity": "1.125",
                    },
                    {
                        "kind": "receipt",
                        "product_id": stock["kg"]["id"],
                        "to_location_id": stock["a"],
                        "quantity": "1.0005",
                    },
                ]
            }
        )
        problem(single, 422, "invalid-movement")
        problem(batch, 422, "invalid-movement")
        assert [e["field"] for e in single.json()["errors"]] == ["quantity"]
        assert single.json()["errors"][0]["type"] == "too_many_decimals"
        assert [e["field"] for e in batch.json()["errors"]] == ["lines.1.quantity"]
        assert "3 decimal places" in batch.json()["detail"]
        assert await inventory_rows(services, inventory.account.tenant_id) == before

    @pytest.mark.parametrize(
        ("line", "fields"),
        [
            ({"kind": "receipt", "quantity": "0"}, ["quantity"]),
            ({"kind": "issue", "quantity": "-1"}, ["quantity"]),
            ({"kind": "adjustment", "quantity": "0", "reason": "x"}, ["quantity"]),
            ({"kind": "adjustment", "quantity": "2"}, ["reason"]),
            ({"kind": "receipt", "quantity": "1", "from": True}, ["from_location_id"]),
            ({"kind": "issue", "quantity": "1", "to": True}, ["to_location_id"]),
            ({"kind": "transfer", "quantity": "1", "to": True}, ["from_location_id"]),
            ({"kind": "issue", "quantity": "1", "from": True, "unit_cost": "2"}, ["unit_cost"]),
        ],
    )
    async def test_kind_rules_are_422_naming_the_field(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        line: dict[str, Any],
        fields: list[str],
    ) -> None:
        body = {k: v for k, v in line.items() if k not in ("from", "to")}
        body["product_id"] = stock["pcs"]["id"]
        if line["kind"] in ("receipt", "adjustment") or line.get("to"):
            body["to_location_id"] = stock["b"]
        if line["kind"] == "issue" or line.get("from"):
            body["from_location_id"] = stock["a"]
        response = await inventory.move(body)
        problem(response, 422, "invalid-movement")
        assert [e["field"] for e in response.json()["errors"]] == fields

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ({"kind": "issue"}, "from_location_id: Required for an issue ("),
            ({"kind": "adjustment", "reason": "x"}, "to_location_id: Required for an adjustment ("),
            ({"kind": "receipt"}, "to_location_id: Required for a receipt ("),
            ({"kind": "transfer", "to": True}, "from_location_id: Required for a transfer ("),
        ],
    )
    async def test_messages_name_the_kind_in_plain_english(
        self, inventory: Inventory, stock: dict[str, Any], line: dict[str, Any], message: str
    ) -> None:
        body = {"product_id": stock["pcs"]["id"], "quantity": "1", "kind": line["kind"]}
        body.update({k: v for k, v in line.items() if k in ("reason",)})
        if line.get("to"):
            body["to_location_id"] = stock["b"]
        response = await inventory.move(body)
        problem(response, 422, "invalid-movement")
        assert message in response.json()["detail"]

    async def test_unknown_product_and_location_are_422_naming_the_line(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        missing = "01890000-0000-7000-8000-000000000000"
        response = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "receipt",
                        "product_id": stock["pcs"]["id"],
                        "to_location_id": stock["a"],
                        "quantity": "1",
                    },
                    {
                        "kind": "transfer",
                        "product_id": missing,
                        "from_location_id": missing,
                        "to_location_id": stock["a"],
                        "quantity": "1",
                    },
                ]
            }
        )
        problem(response, 422, "invalid-movement")
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("lines.1.product_id", "unknown_product"),
            ("lines.1.from_location_id", "unknown_location"),
        ]

    async def test_a_body_that_is_neither_one_movement_nor_a_batch_is_422_and_writes_nothing(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices
    ) -> None:
        before = await inventory_rows(services, inventory.account.tenant_id)
        for body in (
            {"kind": "receipt"},
            {"lines": []},
            {
                "lines": [
                    {
                        "kind": "receipt",
                        "product_id": stock["pcs"]["id"],
                        "quantity": "1",
                        "to_location_id": stock["a"],
                    }
                ],
                "kind": "issue",
            },
            {
                "kind": "receipt",
                "product_id": stock["pcs"]["id"],
                "quantity": "1",
                "to_location_id": stock["a"],
                "tenant_id": inventory.account.tenant_id,
            },
        ):
            problem(await inventory.move(body), 422, "validation-failed")
        assert await inventory_rows(services, inventory.account.tenant_id) == before

    async def test_an_archived_product_may_lose_stock_but_not_receive_it(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt = stock["pcs"]["id"]
        await inventory.receive(bolt, stock["a"], "3")
        ok(await inventory.patch(f"/products/{bolt}", {"is_active": False}))
        refused = await inventory.move(
            {"kind": "receipt", "product_id": bolt, "to_location_id": stock["a"], "quantity": "1"}
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "product-archived"
        ok(
            await inventory.move(
                {
                    "kind": "issue",
                    "product_id": bolt,
                    "from_location_id": stock["a"],
                    "quantity": "3",
                }
            ),
            201,
        )

    async def test_an_inactive_warehouse_receives_nothing(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        ok(await inventory.patch(f"/warehouses/{stock['warehouse_b']}", {"is_active": False}))
        response = await inventory.move(
            {
                "kind": "receipt",
                "product_id": stock["pcs"]["id"],
                "to_location_id": stock["b"],
                "quantity": "1",
            }
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "warehouse-inactive"


class TestLedgerIsProtected:
    async def test_a_product_with_movements_cannot_be_deleted(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt = stock["pcs"]["id"]
        await inventory.receive(bolt, stock["a"], "1")
        response = await inventory.delete(f"/products/{bolt}")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "product-in-use"
        assert (await inventory.get(f"/products/{bolt}")).status_code == 200
        # A product that never moved is deleted as before.
        assert (await inventory.delete(f"/products/{stock['kg']['id']}")).status_code == 204

    async def test_the_ledger_refuses_update_and_delete_even_for_the_owner(
        self, inventory: Inventory, stock: dict[str, Any], owner_conn: Any
    ) -> None:
        await inventory.receive(stock["pcs"]["id"], stock["a"], "1")
        async with owner_conn.transaction():
            await owner_conn.execute(
                "SELECT set_config('app.tenant_id', $1, true)", inventory.account.tenant_id
            )
            for statement in (
                "UPDATE stock_movements SET quantity = 100",
                "DELETE FROM stock_movements",
            ):
                with pytest.raises(Exception, match="append-only"):
                    async with owner_conn.transaction():  # a savepoint
                        await owner_conn.execute(statement)
            count = await owner_conn.fetchval("SELECT count(*) FROM stock_movements")
        assert count == 1
        assert Decimal(await inventory.on_hand(stock["pcs"]["id"], stock["a"])) == 1


async def test_removing_a_whole_tenant_is_the_one_delete_the_ledger_allows(
    inventory: Inventory, stock: dict[str, Any], services: TestServices
) -> None:
    """The append-only trigger lets a cascade from ``tenants`` through (a nested trigger),
    so deleting an organization is not blocked by its history."""
    await inventory.receive(stock["pcs"]["id"], stock["a"], "1")
    admin_url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(admin_url.render_as_string(hide_password=False)))
    try:
        await connection.execute("DELETE FROM tenants WHERE id = $1", inventory.account.tenant_id)
        left = await connection.fetchval(
            "SELECT count(*) FROM stock_movements WHERE tenant_id = $1",
            inventory.account.tenant_id,
        )
    finally:
        await connection.close()
    assert left == 0
