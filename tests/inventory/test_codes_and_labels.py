"""What a scanner or a spreadsheet has: products by SKU or barcode and locations by their
warehouse's and their own code, in movements, reservations and counts; and the labels
(SKU, name, codes) on every list, so a client shows rows without a request per row."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from quartermaster.core.db import Database
from tests.builders import problem
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Identity
from tests.inventory.conftest import TABLES, Inventory, inventory_rows, mismatches

ALL_TABLES = (*TABLES, "reservations", "outbox_events")
EAN = "4006381333931"


@pytest.fixture
async def stock(inventory: Inventory) -> dict[str, Any]:
    """MAIN (DEFAULT and bin A-01) and EAST; a bolt with an EAN-13, a nut without one."""
    main = await inventory.warehouse("MAIN")
    east = await inventory.warehouse("EAST")
    bin_ = await inventory.location(main["id"], "A-01")
    return {
        "main": main,
        "east": east,
        "main_default": main["default_location_id"],
        "east_default": east["default_location_id"],
        "bin": bin_["id"],
        "bolt": await inventory.product(
            sku="BOLT-M8", name="Hex bolt M8", barcode=EAN, barcode_type="ean13"
        ),
        "nut": await inventory.product(sku="NUT-M8", name="Nut M8"),
    }


class TestMovementsByCode:
    async def test_a_batch_names_products_and_locations_by_code_as_well_as_by_id(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        batch = ok(
            await inventory.move(
                {
                    "reference": "PO-1",
                    "lines": [
                        {
                            "kind": "receipt",
                            "barcode": EAN,
                            "to_warehouse_code": "MAIN",
                            "to_location_code": "A-01",
                            "quantity": "10",
                        },
                        {
                            "kind": "receipt",
                            "sku": "NUT-M8",
                            "to_location_id": stock["east_default"],
                            "quantity": "4",
                        },
                        {
                            "kind": "transfer",
                            "product_id": stock["bolt"]["id"],
                            "from_warehouse_code": "MAIN",
                            "from_location_code": "A-01",
                            "to_warehouse_code": "EAST",
                            "to_location_code": "DEFAULT",
                            "quantity": "3",
                        },
                    ],
                }
            ),
            201,
        )
        lines = batch["lines"]
        assert [(line["product_id"], line["to_location_id"]) for line in lines] == [
            (stock["bolt"]["id"], stock["bin"]),
            (stock["nut"]["id"], stock["east_default"]),
            (stock["bolt"]["id"], stock["east_default"]),
        ]
        assert lines[2]["from_location_id"] == stock["bin"]
        assert await inventory.on_hand(stock["bolt"]["id"], stock["bin"]) == 7
        assert await inventory.on_hand(stock["bolt"]["id"], stock["east_default"]) == 3
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_codes_match_regardless_of_case_as_they_are_unique_so(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        moved = ok(
            await inventory.move(
                {
                    "kind": "receipt",
                    "sku": "bolt-m8",
                    "to_warehouse_code": "main",
                    "to_location_code": "a-01",
                    "quantity": "2",
                }
            ),
            201,
        )
        (line,) = moved["lines"]
        assert (line["product_id"], line["to_location_id"]) == (stock["bolt"]["id"], stock["bin"])

    async def test_many_lines_by_code_resolve_in_one_request(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        lines = [
            {
                "kind": "receipt",
                "sku": "BOLT-M8" if n % 2 else "NUT-M8",
                "to_warehouse_code": "MAIN" if n % 3 else "EAST",
                "to_location_code": "DEFAULT",
                "quantity": "1",
            }
            for n in range(200)
        ]
        batch = ok(await inventory.move({"lines": lines}), 201)
        assert len(batch["lines"]) == 200
        assert await inventory.on_hand(stock["bolt"]["id"], stock["main_default"]) == 67
        assert await mismatches(database, inventory.account.tenant_id) == []

    @pytest.mark.parametrize(
        ("line", "errors", "message"),
        [
            (
                {"sku": "NOPE-1", "to_location_id": "main_default"},
                [("lines.1.sku", "unknown_product")],
                "No product with SKU 'NOPE-1' in this organization.",
            ),
            (
                {"barcode": "96385074", "to_location_id": "main_default"},
                [("lines.1.barcode", "unknown_product")],
                "No product with barcode '96385074' in this organization.",
            ),
            (
                {"sku": "BOLT-M8", "to_warehouse_code": "MAIN", "to_location_code": "Z-99"},
                [("lines.1.to_location_code", "unknown_location")],
                "No location 'Z-99' in warehouse 'MAIN' in this organization.",
            ),
            (
                {"sku": "BOLT-M8", "to_warehouse_code": "WEST", "to_location_code": "DEFAULT"},
                [("lines.1.to_location_code", "unknown_location")],
                "No location 'DEFAULT' in warehouse 'WEST'",
            ),
            (
                {"sku": "BOLT-M8", "barcode": EAN, "to_location_id": "main_default"},
                [("lines.1.barcode", "ambiguous_reference")],
                "Name the product one way only: sku and barcode were both given.",
            ),
            (
                {"to_location_id": "main_default"},
                [("lines.1.product_id", "missing")],
                "Name the product by product_id, sku or barcode.",
            ),
            (
                {
                    "sku": "BOLT-M8",
                    "to_location_id": "main_default",
                    "to_warehouse_code": "MAIN",
                    "to_location_code": "DEFAULT",
                },
                [("lines.1.to_location_id", "ambiguous_reference")],
                "Name the location one way only",
            ),
            (
                {"sku": "BOLT-M8", "to_warehouse_code": "MAIN"},
                [("lines.1.to_location_code", "missing")],
                "Required with lines.1.to_warehouse_code",
            ),
            (
                {"sku": "BOLT-M8", "to_location_code": "DEFAULT"},
                [("lines.1.to_warehouse_code", "missing")],
                "Required with lines.1.to_location_code",
            ),
            (
                {"sku": "BOLT-M8"},
                [("lines.1.to_location_id", "missing")],
                "Required for a receipt (or to_warehouse_code and to_location_code)",
            ),
        ],
    )
    async def test_an_unknown_or_ambiguous_reference_is_422_naming_it_and_writes_nothing(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        services: TestServices,
        line: dict[str, Any],
        errors: list[tuple[str, str]],
        message: str,
    ) -> None:
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        good = {
            "kind": "receipt",
            "sku": "NUT-M8",
            "to_location_id": stock["main_default"],
            "quantity": "1",
        }
        bad = {"kind": "receipt", "quantity": "1", **line}
        if bad.get("to_location_id") == "main_default":
            bad["to_location_id"] = stock["main_default"]
        response = await inventory.move({"lines": [good, bad]})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "invalid-movement"
        assert [(e["field"], e["type"]) for e in problem["errors"]] == errors
        assert message in problem["errors"][0]["message"]
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before

    @pytest.mark.parametrize(
        "field", ["sku", "barcode", "to_warehouse_code", "to_location_code", "reason"]
    )
    async def test_a_nul_character_in_a_code_is_422_not_a_failed_statement(
        self, inventory: Inventory, stock: dict[str, Any], services: TestServices, field: str
    ) -> None:
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        line = {
            "kind": "adjustment",
            "sku": "BOLT-M8",
            "to_warehouse_code": "MAIN",
            "to_location_code": "A-01",
            "quantity": "1",
            "reason": "found",
        }
        response = await inventory.move({**line, field: "A\u0000B"})
        problem(response, 422, "invalid-text")
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before

    async def test_every_unknown_code_of_a_batch_is_listed_line_by_line(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        response = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "transfer",
                        "sku": "GONE",
                        "from_warehouse_code": "MAIN",
                        "from_location_code": "X",
                        "to_location_id": stock["bin"],
                        "quantity": "1",
                    },
                    {"kind": "issue", "barcode": "000", "from_location_id": stock["bin"]}
                    | {"quantity": "0"},
                ]
            }
        )
        problem(response, 422, "invalid-movement")
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("lines.0.sku", "unknown_product"),
            ("lines.0.from_location_code", "unknown_location"),
            ("lines.1.barcode", "unknown_product"),
            ("lines.1.quantity", "quantity_not_positive"),
        ]

    async def test_a_single_movement_takes_codes_too(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        await inventory.receive(stock["nut"]["id"], stock["bin"], "5")
        moved = ok(
            await inventory.move(
                {
                    "kind": "issue",
                    "sku": "NUT-M8",
                    "from_warehouse_code": "MAIN",
                    "from_location_code": "A-01",
                    "quantity": "2",
                }
            ),
            201,
        )
        assert moved["lines"][0]["from_location_id"] == stock["bin"]
        refused = await inventory.move(
            {"kind": "issue", "sku": "NUT-M8", "from_warehouse_code": "MAIN", "quantity": "1"}
        )
        assert [e["field"] for e in refused.json()["errors"]] == ["from_location_code"]

    async def test_another_organizations_codes_are_unknown(
        self, inventory: Inventory, stock: dict[str, Any], client: AsyncClient, identity: Identity
    ) -> None:
        other = Inventory(client, await identity.signup("Beta"))
        await other.warehouse("NORTH")
        await other.product(sku="THEIRS", barcode="96385074")
        response = await inventory.move(
            {
                "lines": [
                    {
                        "kind": "receipt",
                        "sku": "THEIRS",
                        "to_location_id": stock["bin"],
                        "quantity": "1",
                    },
                    {
                        "kind": "receipt",
                        "barcode": "96385074",
                        "to_warehouse_code": "NORTH",
                        "to_location_code": "DEFAULT",
                        "quantity": "1",
                    },
                ]
            }
        )
        problem(response, 422, "invalid-movement")
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("lines.0.sku", "unknown_product"),
            ("lines.1.barcode", "unknown_product"),
            ("lines.1.to_location_code", "unknown_location"),
        ]

    async def test_an_archived_product_named_by_sku_is_refused_naming_the_sku(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        ok(await inventory.patch(f"/products/{stock['nut']['id']}", {"is_active": False}))
        response = await inventory.move(
            {"kind": "receipt", "sku": "NUT-M8", "to_location_id": stock["bin"], "quantity": "1"}
        )
        problem(response, 409, "product-archived")
        assert response.json()["field"] == "sku"


class TestReservationsAndCountsByCode:
    async def test_a_reservation_by_sku_and_codes(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        await inventory.receive(stock["bolt"]["id"], stock["bin"], "10")
        created = ok(
            await inventory.post(
                "/stock/reservations",
                {
                    "sku": "BOLT-M8",
                    "warehouse_code": "MAIN",
                    "location_code": "A-01",
                    "quantity": "4",
                    "reference": "SO-1",
                },
            ),
            201,
        )
        assert (created["product_id"], created["location_id"]) == (
            stock["bolt"]["id"],
            stock["bin"],
        )
        assert created["level"]["reserved"] == "4"

    @pytest.mark.parametrize(
        ("fields", "errors"),
        [
            ({"barcode": "000", "location_id": "bin"}, [("barcode", "unknown_product")]),
            (
                {"sku": "BOLT-M8", "warehouse_code": "MAIN", "location_code": "NOPE"},
                [("location_code", "unknown_location")],
            ),
            ({"sku": "BOLT-M8"}, [("location_id", "missing")]),
            ({"location_id": "bin"}, [("product_id", "missing")]),
            (
                {"product_id": "bolt", "sku": "BOLT-M8", "location_id": "bin"},
                [("sku", "ambiguous_reference")],
            ),
        ],
    )
    async def test_a_reservation_that_names_nothing_or_too_much_is_422(
        self,
        inventory: Inventory,
        stock: dict[str, Any],
        services: TestServices,
        fields: dict[str, str],
        errors: list[tuple[str, str]],
    ) -> None:
        ids = {"bin": stock["bin"], "bolt": stock["bolt"]["id"]}
        body = {k: ids.get(v, v) if k.endswith("_id") else v for k, v in fields.items()}
        before = await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES)
        response = await inventory.post(
            "/stock/reservations", {**body, "quantity": "1", "reference": "SO-1"}
        )
        problem(response, 422, "invalid-movement")
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == errors
        assert await inventory_rows(services, inventory.account.tenant_id, ALL_TABLES) == before

    async def test_a_count_by_codes_and_barcodes(
        self, inventory: Inventory, stock: dict[str, Any], database: Database
    ) -> None:
        await inventory.receive(stock["bolt"]["id"], stock["bin"], "10")
        counted = ok(
            await inventory.post(
                "/stock/counts",
                {
                    "warehouse_code": "MAIN",
                    "location_code": "A-01",
                    "counted_at": "2026-01-01T00:00:00Z",
                    "lines": [
                        {"barcode": EAN, "counted_quantity": "0"},
                        {"sku": "nut-m8", "counted_quantity": "2"},
                    ],
                },
            )
        )
        assert counted["location_id"] == stock["bin"]
        assert (counted["location_code"], counted["warehouse_code"]) == ("A-01", "MAIN")
        assert [(line["product_id"], line["sku"]) for line in counted["lines"]] == [
            (stock["bolt"]["id"], "BOLT-M8"),
            (stock["nut"]["id"], "NUT-M8"),
        ]
        assert await inventory.on_hand(stock["nut"]["id"], stock["bin"]) == 2
        assert await mismatches(database, inventory.account.tenant_id) == []

    async def test_a_count_without_a_location_is_422_naming_both_ways(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        response = await inventory.post(
            "/stock/counts",
            {
                "counted_at": "2026-01-01T00:00:00Z",
                "lines": [{"sku": "BOLT-M8", "counted_quantity": "1"}],
            },
        )
        problem(response, 422, "invalid-movement")
        (error,) = response.json()["errors"]
        assert (error["field"], error["type"]) == ("location_id", "missing")
        assert error["message"] == (
            "Name the location by location_id, or by warehouse_code and location_code."
        )

    async def test_a_count_naming_one_product_twice_by_different_codes_is_422(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        response = await inventory.post(
            "/stock/counts",
            {
                "location_id": stock["bin"],
                "counted_at": "2026-01-01T00:00:00Z",
                "lines": [
                    {"sku": "BOLT-M8", "counted_quantity": "1"},
                    {"barcode": EAN, "counted_quantity": "1"},
                    {"sku": "MISSING", "counted_quantity": "1"},
                ],
            },
        )
        problem(response, 422, "invalid-movement")
        assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [
            ("lines.1.barcode", "duplicate"),
            ("lines.2.sku", "unknown_product"),
        ]


class TestMovementsSinceCount:
    async def test_a_count_older_than_the_newest_movement_at_its_location_says_so(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt, nut, place = stock["bolt"]["id"], stock["nut"]["id"], stock["bin"]
        receipt = await inventory.receive(bolt, place, "10")
        counted_at = receipt["recorded_at"]  # the scanner counted right after the receipt
        issue = {"kind": "issue", "product_id": bolt, "from_location_id": place, "quantity": "3"}
        ok(await inventory.move(issue), 201)
        await inventory.receive(nut, place, "5")
        await inventory.receive(nut, stock["main_default"], "5")  # elsewhere: not counted

        late = ok(
            await inventory.post(
                "/stock/counts",
                {
                    "location_id": place,
                    "counted_at": counted_at,
                    "lines": [{"product_id": bolt, "counted_quantity": "10"}],
                },
            )
        )
        assert late["movements_since_count"] == 2  # the issue and the nut's receipt
        (line,) = late["lines"]
        assert (line["movements_since_count"], line["adjustment"]) == (1, "0")

        fresh = ok(
            await inventory.post(
                "/stock/counts",
                {
                    "location_id": place,
                    "counted_at": late["recorded_at"],
                    "lines": [{"product_id": nut, "counted_quantity": "5"}],
                },
            )
        )
        assert fresh["movements_since_count"] == 0
        assert fresh["lines"][0]["movements_since_count"] == 0


class TestLabels:
    async def test_every_list_shows_skus_names_and_codes(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt = stock["bolt"]["id"]
        ok(await inventory.patch(f"/products/{bolt}", {"reorder_point": "5"}))
        await inventory.receive(bolt, stock["bin"], "10")
        transfer = {
            "kind": "transfer",
            "product_id": bolt,
            "from_location_id": stock["bin"],
            "to_location_id": stock["east_default"],
            "quantity": "6",
        }
        ok(await inventory.move(transfer), 201)  # MAIN: 4, at or below 5: an alert
        reservation = ok(
            await inventory.post(
                "/stock/reservations",
                {"product_id": bolt, "location_id": stock["bin"], "quantity": "1"}
                | {"reference": "SO-1"},
            ),
            201,
        )
        product = ("BOLT-M8", "Hex bolt M8")

        levels = ok(await inventory.get("/stock/levels"))["items"]
        assert {
            (row["sku"], row["product_name"], row["warehouse_code"], row["location_code"])
            for row in levels
        } == {(*product, "MAIN", "A-01"), (*product, "EAST", "DEFAULT")}

        by_warehouse = ok(await inventory.get("/stock/levels", group_by="warehouse"))["items"]
        assert {(r["sku"], r["product_name"], r["warehouse_code"]) for r in by_warehouse} == {
            (*product, "MAIN"),
            (*product, "EAST"),
        }
        (total,) = ok(await inventory.get("/stock/levels", group_by="product"))["items"]
        assert (total["sku"], total["product_name"], total["warehouse_code"]) == (*product, None)

        movements = ok(await inventory.get("/stock/movements"))["items"]
        assert [
            (
                m["kind"],
                m["sku"],
                m["from_warehouse_code"],
                m["from_location_code"],
                m["to_warehouse_code"],
                m["to_location_code"],
            )
            for m in movements
        ] == [
            ("transfer", "BOLT-M8", "MAIN", "A-01", "EAST", "DEFAULT"),
            ("receipt", "BOLT-M8", None, None, "MAIN", "A-01"),
        ]

        (alert,) = ok(await inventory.get("/stock/alerts"))["items"]
        assert (alert["sku"], alert["product_name"], alert["warehouse_code"]) == (*product, "MAIN")
        fetched = ok(await inventory.get(f"/stock/alerts/{alert['id']}"))
        assert fetched["warehouse_code"] == "MAIN"

        (listed,) = ok(await inventory.get("/stock/reservations"))["items"]
        assert (listed["sku"], listed["warehouse_code"], listed["location_code"]) == (
            "BOLT-M8",
            "MAIN",
            "A-01",
        )
        assert reservation["product_name"] == listed["product_name"] == "Hex bolt M8"
        assert reservation["level"]["location_code"] == "A-01"

    async def test_labels_are_read_when_asked_so_a_renamed_product_shows_its_new_name(
        self, inventory: Inventory, stock: dict[str, Any]
    ) -> None:
        bolt = stock["bolt"]["id"]
        await inventory.receive(bolt, stock["bin"], "1")
        ok(await inventory.patch(f"/products/{bolt}", {"name": "Hex bolt M8 x 40"}))
        ok(await inventory.patch(f"/locations/{stock['bin']}", {"code": "A-02"}))
        (level,) = ok(await inventory.get("/stock/levels"))["items"]
        assert (level["product_name"], level["location_code"]) == ("Hex bolt M8 x 40", "A-02")
        (movement,) = ok(await inventory.get("/stock/movements"))["items"]
        assert (movement["product_name"], movement["to_location_code"]) == (
            "Hex bolt M8 x 40",
            "A-02",
        )
