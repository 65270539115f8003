"""Booleans are booleans and quantities and money are plain decimals in ASCII digits,
normalised: nothing is guessed from "yes", "١٢", "1_000" or "1e3"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from quartermaster.core.inputs import CellFlag, PlainDecimal
from tests.builders import problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.inventory.conftest import Inventory


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "1", "on", None])
async def test_a_body_boolean_must_be_a_json_boolean(inventory: Inventory, value: object) -> None:
    response = await inventory.post("/products", {"sku": "B", "name": "x", "is_active": value})
    problem(response, 422, "validation-failed")
    assert response.json()["errors"][0]["field"] == "is_active"
    assert (await inventory.all_products()) == []


@pytest.mark.parametrize("value", ["yes", "1", "True", "on", ""])
async def test_a_query_boolean_must_be_true_or_false(inventory: Inventory, value: str) -> None:
    response = await inventory.get("/products", is_active=value)
    problem(response, 422, "validation-failed")
    assert response.json()["errors"][0]["field"] == "is_active"


async def test_query_booleans_true_and_false_filter(inventory: Inventory) -> None:
    active = await inventory.product()
    archived = await inventory.product(is_active=False)
    assert [p["id"] for p in ok(await inventory.get("/products", is_active="true"))["items"]] == [
        active["id"]
    ]
    assert [p["id"] for p in ok(await inventory.get("/products", is_active="false"))["items"]] == [
        archived["id"]
    ]


@pytest.mark.parametrize(
    "value",
    ["١٢", "1_000", "1,000", "1e3", "1E+3", "+1", ".5", "1.", " 1", "NaN", "Infinity", True],
)
async def test_a_quantity_must_be_plain_ascii_digits(inventory: Inventory, value: object) -> None:
    response = await inventory.post("/products", {"sku": "Q", "name": "x", "reorder_point": value})
    problem(response, 422, "validation-failed")
    assert response.json()["errors"][0]["field"] == "reorder_point"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("-0", "0"), ("-0.00", "0.00"), ("12", "12"), ("0.5", "0.5"), (1e3, "1000"), (7, "7")],
)
async def test_quantities_are_normalised(inventory: Inventory, value: object, stored: str) -> None:
    product = await inventory.product(unit="kg", reorder_point=value)
    assert product["reorder_point"] == stored
    again = ok(await inventory.get(f"/products/{product['id']}"))
    assert Decimal(again["reorder_point"]) == Decimal(stored)
    assert "E" not in again["reorder_point"]


@pytest.mark.parametrize("value", ["١٢", "1_000", "1e3"])
async def test_movement_quantities_and_prices_follow_the_same_rule(
    inventory: Inventory, value: str, services: TestServices
) -> None:
    warehouse = await inventory.warehouse("MAIN")
    product = (await inventory.product())["id"]
    price_list = await inventory.price_list("Retail")
    tenant = inventory.account.tenant_id
    tables = ("stock_levels", "stock_movements", "prices", "outbox_events")
    before = await tenant_tables(services, tenant, tables)
    body = {
        "kind": "receipt",
        "product_id": product,
        "to_location_id": warehouse["default_location_id"],
        "quantity": value,
    }
    refused = problem(await inventory.move(body), 422, "validation-failed")
    assert refused["errors"][0]["field"] == "quantity"
    body["quantity"], body["unit_cost"] = "1", value
    refused = problem(await inventory.move(body), 422, "validation-failed")
    assert refused["errors"][0]["field"] == "unit_cost"
    price = {"price_list_id": price_list["id"], "amount": value}
    refused = problem(
        await inventory.post(f"/products/{product}/prices", price), 422, "validation-failed"
    )
    assert refused["errors"][0]["field"] == "amount"
    assert await tenant_tables(services, tenant, tables) == before


def test_import_cells_accept_true_and_false_in_any_case_only() -> None:
    flag = TypeAdapter(CellFlag)
    assert [flag.validate_python(v) for v in ("TRUE", "false", " True ")] == [True, False, True]
    for value in ("yes", "1", "0", "on"):
        with pytest.raises(ValidationError):
            flag.validate_python(value)


def test_plain_decimal_never_keeps_an_exponent() -> None:
    plain = TypeAdapter(PlainDecimal)
    assert str(plain.validate_python(1e22)) == "10000000000000000000000"
    assert str(plain.validate_python(Decimal("-0"))) == "0"
