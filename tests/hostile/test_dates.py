"""Datetimes a client sends are bounded (years 1900 to 9999 in UTC, after the offset):
anything else is a 422 naming the field, on every route that takes one. The movement
report over year 1 used to run generate_series from -infinity, forever."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from tests.builders import API, problem
from tests.catalog.conftest import ok
from tests.inventory.conftest import Inventory

# Year 1 with a positive offset is year 0 in UTC; 9999-12-31 with a negative one is 10000.
OUT_OF_RANGE = (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
)


async def _send(inventory: Inventory, route: str, moment: str) -> Response:
    """One request to ``route`` whose only questionable part is ``moment``."""
    warehouse = await inventory.warehouse("MAIN")
    location = warehouse["default_location_id"]
    product = (await inventory.product())["id"]
    client, headers = inventory.client, inventory.headers
    later = "2026-01-01T00:00:00Z"
    if route == "prices":
        price_list = await inventory.price_list("Retail")
        body = {"price_list_id": price_list["id"], "amount": "1.00", "effective_from": moment}
        return await client.post(f"{API}/products/{product}/prices", headers=headers, json=body)
    if route == "reservations":
        await inventory.receive(product, location, "5")
        body: dict[str, Any] = {
            "product_id": product,
            "location_id": location,
            "quantity": "1",
            "reference": "SO-1",
            "expires_at": moment,
        }
        return await client.post(f"{API}/stock/reservations", headers=headers, json=body)
    if route == "api-keys":
        body = {"name": "ci", "role": "viewer", "expires_at": moment}
        return await client.post(f"{API}/api-keys", headers=headers, json=body)
    if route == "counts":
        body = {
            "location_id": location,
            "counted_at": moment,
            "lines": [{"product_id": product, "counted_quantity": "1"}],
        }
        return await client.post(f"{API}/stock/counts", headers=headers, json=body)
    if route == "movements":
        params = {"from": moment, "to": later}
        return await client.get(f"{API}/stock/movements", headers=headers, params=params)
    if route == "report":
        params = {"from": moment, "to": "1910-01-01T00:00:00Z", "interval": "month"}
        return await client.get(f"{API}/reports/movements", headers=headers, params=params)
    assert route == "export"
    params = {"from": moment, "to": later}
    return await client.post(f"{API}/exports/movements", headers=headers, params=params)


FIELDS = {
    "prices": ("body", "effective_from"),
    "reservations": ("body", "expires_at"),
    "api-keys": ("body", "expires_at"),
    "counts": ("body", "counted_at"),
    "movements": ("query", "from"),
    "report": ("query", "from"),
    "export": ("query", "from"),
}


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
@pytest.mark.parametrize("route", list(FIELDS))
async def test_a_datetime_outside_1900_to_9999_is_a_422_naming_the_field(
    inventory: Inventory, route: str, moment: str
) -> None:
    response = await _send(inventory, route, moment)
    refusal = problem(response, 422, "validation-failed")
    location, field = FIELDS[route]
    [error] = refusal["errors"]
    assert (error["location"], error["field"]) == (location, field)
    assert error["type"] == "timestamp_out_of_range"
    assert "1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z" in refusal["detail"]


@pytest.mark.parametrize("route", list(FIELDS))
async def test_the_edges_of_the_range_are_accepted(inventory: Inventory, route: str) -> None:
    # Exactly 1900-01-01 in UTC, written with an offset; far-future expiries are allowed.
    moment = (
        "1900-01-01T01:00:00+01:00"
        if route not in {"reservations", "api-keys"}
        else ("9999-12-31T18:59:59-05:00")
    )
    response = await _send(inventory, route, moment)
    assert response.status_code < 300, response.text


@pytest.mark.parametrize(
    ("params", "interval"),
    [
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-03-01T00:00:00Z"}, "week"),
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-03T00:00:00Z"}, "day"),
    ],
)
async def test_the_year_one_movement_report_answers_at_once_with_a_422(
    inventory: Inventory, params: dict[str, str], interval: str
) -> None:
    """The requests of the report that filled pgsql_tmp: now refused before any SQL."""
    response = await inventory.get("/reports/movements", **params, interval=interval)
    problem(response, 422, "validation-failed")
    assert {e["field"] for e in response.json()["errors"]} == {"from", "to"}


async def test_a_report_at_the_end_of_year_9999_lists_its_last_periods(
    inventory: Inventory,
) -> None:
    body = ok(
        await inventory.get(
            "/reports/movements",
            **{"from": "9999-10-15T00:00:00Z", "to": "9999-12-31T23:59:59Z"},
            interval="month",
        )
    )
    assert [b["period_start"][:7] for b in body["buckets"]] == ["9999-10", "9999-11", "9999-12"]


async def test_a_report_that_falls_after_9999_in_its_time_zone_is_a_422(
    inventory: Inventory,
) -> None:
    response = await inventory.get(
        "/reports/movements",
        **{"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:00:00Z"},
        tz="Pacific/Kiritimati",
    )
    problem(response, 422, "invalid-report-query")
    assert response.json()["errors"][0]["type"] == "out_of_range"


async def test_a_report_spans_at_most_366_periods(inventory: Inventory) -> None:
    response = await inventory.get(
        "/reports/movements",
        **{"from": "1900-01-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"},
        interval="month",
    )
    problem(response, 422, "invalid-report-query")
    assert response.json()["errors"][0]["type"] == "too_many_periods"
