"""Reports: stock value per warehouse or category at moving-average cost, and stock in
and out per period, seen from the organization or one warehouse."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient, Response

from quartermaster.identity.public import Permission
from quartermaster.inventory.service import movements, reservations
from tests.catalog.conftest import ok
from tests.identity.conftest import Account, Identity
from tests.inventory.conftest import Inventory


def receipt(product: str, location: str, quantity: str, cost: str | None = None) -> dict[str, Any]:
    line = {
        "kind": "receipt",
        "product_id": product,
        "to_location_id": location,
        "quantity": quantity,
    }
    if cost is not None:
        line["unit_cost"] = cost
    return line


def issue(product: str, location: str, quantity: str) -> dict[str, Any]:
    return {
        "kind": "issue",
        "product_id": product,
        "from_location_id": location,
        "quantity": quantity,
    }


def transfer(product: str, source: str, target: str, quantity: str) -> dict[str, Any]:
    return {
        "kind": "transfer",
        "product_id": product,
        "from_location_id": source,
        "to_location_id": target,
        "quantity": quantity,
    }


def adjustment(product: str, location: str, quantity: str) -> dict[str, Any]:
    return {
        "kind": "adjustment",
        "product_id": product,
        "to_location_id": location,
        "quantity": quantity,
        "reason": "cycle count",
    }


async def move(inventory: Inventory, *lines: dict[str, Any]) -> None:
    ok(await inventory.move(lines[0] if len(lines) == 1 else {"lines": list(lines)}), 201)


def problem(response: Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


async def stock_value(inventory: Inventory, **params: Any) -> dict[str, Any]:
    return ok(await inventory.get("/reports/stock-value", **params))


def figures(group: dict[str, Any]) -> tuple[Decimal, str, Decimal]:
    """(quantity, value as sent, unvalued quantity)."""
    return Decimal(group["quantity"]), group["value"], Decimal(group["unvalued_quantity"])


@pytest.fixture
async def other(client: AsyncClient, identity: Identity) -> Inventory:
    return Inventory(client, await identity.signup("Beta"))


# Stock value


class TestStockValueByWarehouse:
    async def test_quantity_and_value_per_warehouse_at_the_moving_average(
        self, inventory: Inventory
    ) -> None:
        a = await inventory.warehouse("A")
        b = await inventory.warehouse("B")
        a_loc, b_loc = a["default_location_id"], b["default_location_id"]
        bolt = (await inventory.product(sku="BOLT"))["id"]
        nut = (await inventory.product(sku="NUT"))["id"]
        await move(inventory, receipt(bolt, a_loc, "10", "2.00"))
        await move(inventory, receipt(bolt, a_loc, "10", "4.00"))  # average 3
        await move(inventory, transfer(bolt, a_loc, b_loc, "5"))
        await move(inventory, receipt(nut, b_loc, "7"))  # no cost yet

        report = await stock_value(inventory)

        assert report["group_by"] == "warehouse"
        assert [(g["warehouse_id"], g["code"], g["name"]) for g in report["groups"]] == [
            (a["id"], "A", a["name"]),
            (b["id"], "B", b["name"]),
        ]
        assert [figures(g) for g in report["groups"]] == [
            (Decimal(15), "45.00", Decimal(0)),
            (Decimal(12), "15.00", Decimal(7)),
        ]
        assert figures(report["total"]) == (Decimal(27), "60.00", Decimal(7))

    async def test_values_round_half_up_and_the_total_rounds_its_exact_sum(
        self, inventory: Inventory
    ) -> None:
        a = (await inventory.warehouse("A"))["default_location_id"]
        b = (await inventory.warehouse("B"))["default_location_id"]
        washer = (await inventory.product(sku="WASHER"))["id"]
        await move(inventory, receipt(washer, a, "1", "0.125"), receipt(washer, b, "1", "0.125"))
        report = await stock_value(inventory)
        assert [g["value"] for g in report["groups"]] == ["0.13", "0.13"]  # half up, not even
        assert report["total"]["value"] == "0.25"  # 0.250 exactly, not 0.13 + 0.13

    async def test_a_repeating_average_is_rounded_only_in_the_report(
        self, inventory: Inventory
    ) -> None:
        a = (await inventory.warehouse("A"))["default_location_id"]
        gear = (await inventory.product(sku="GEAR"))["id"]
        await move(inventory, receipt(gear, a, "1", "1"))
        await move(inventory, receipt(gear, a, "2", "2"))  # average 5/3
        assert (await stock_value(inventory))["total"]["value"] == "5.00"
        await move(inventory, issue(gear, a, "2"))
        assert (await stock_value(inventory))["total"]["value"] == "1.67"

    async def test_negative_stock_is_valued_as_it_is(self, inventory: Inventory) -> None:
        warehouse = await inventory.warehouse("A")
        loose = (await inventory.location(warehouse["id"], "LOOSE", allow_negative=True))["id"]
        bolt = (await inventory.product(sku="BOLT"))["id"]
        await move(inventory, receipt(bolt, warehouse["default_location_id"], "10", "2"))
        await move(inventory, issue(bolt, loose, "15"))
        report = await stock_value(inventory)
        assert figures(report["total"]) == (Decimal(-5), "-10.00", Decimal(0))

    async def test_the_warehouse_filter_keeps_one_warehouse(self, inventory: Inventory) -> None:
        a = await inventory.warehouse("A")
        b = await inventory.warehouse("B")
        bolt = (await inventory.product(sku="BOLT"))["id"]
        await move(inventory, receipt(bolt, a["default_location_id"], "1", "10"))
        await move(inventory, receipt(bolt, b["default_location_id"], "3", "10"))
        report = await stock_value(inventory, warehouse_id=b["id"])
        assert [g["code"] for g in report["groups"]] == ["B"]
        assert figures(report["total"]) == (Decimal(3), "30.00", Decimal(0))

    async def test_an_organization_without_stock_has_an_empty_report(
        self, inventory: Inventory
    ) -> None:
        report = await stock_value(inventory)
        assert report["groups"] == []
        assert figures(report["total"]) == (Decimal(0), "0.00", Decimal(0))


class TestStockValueByCategory:
    async def test_groups_by_category_path_with_uncategorized_products_last(
        self, inventory: Inventory
    ) -> None:
        a = (await inventory.warehouse("A"))["default_location_id"]
        tools = await inventory.category("Tools")
        drills = await inventory.category("Drills", tools["id"])
        hammer = (await inventory.product(sku="HAMMER", category_id=tools["id"]))["id"]
        drill = (await inventory.product(sku="DRILL", category_id=drills["id"]))["id"]
        bit = (await inventory.product(sku="BIT", category_id=drills["id"]))["id"]
        rag = (await inventory.product(sku="RAG"))["id"]
        await move(
            inventory,
            receipt(hammer, a, "2", "12.50"),
            receipt(drill, a, "1", "99.99"),
            receipt(bit, a, "10", "0.333"),
            receipt(rag, a, "4"),
        )

        report = await stock_value(inventory, group_by="category")

        assert report["group_by"] == "category"
        assert [(g["category_id"], g["name"], g["path"]) for g in report["groups"]] == [
            (tools["id"], "Tools", "Tools"),
            (drills["id"], "Drills", "Tools / Drills"),
            (None, None, None),
        ]
        assert [figures(g) for g in report["groups"]] == [
            (Decimal(2), "25.00", Decimal(0)),
            (Decimal(11), "103.32", Decimal(0)),  # 99.99 + 3.33
            (Decimal(4), "0.00", Decimal(4)),
        ]
        assert figures(report["total"]) == (Decimal(17), "128.32", Decimal(4))

    async def test_the_warehouse_filter_applies_to_categories(self, inventory: Inventory) -> None:
        a = await inventory.warehouse("A")
        b = await inventory.warehouse("B")
        tools = await inventory.category("Tools")
        hammer = (await inventory.product(sku="HAMMER", category_id=tools["id"]))["id"]
        await move(inventory, receipt(hammer, a["default_location_id"], "2", "10"))
        await move(inventory, receipt(hammer, b["default_location_id"], "1", "10"))
        report = await stock_value(inventory, group_by="category", warehouse_id=a["id"])
        assert [figures(g) for g in report["groups"]] == [(Decimal(2), "20.00", Decimal(0))]


class TestCurrency:
    async def test_the_default_price_lists_currency_or_none(self, inventory: Inventory) -> None:
        assert (await stock_value(inventory))["currency"] is None
        await inventory.price_list("Retail", "USD", is_default=True)
        assert (await stock_value(inventory))["currency"] == "USD"
        await inventory.price_list("Export", "GBP", is_default=True)
        assert (await stock_value(inventory, group_by="category"))["currency"] == "GBP"


class TestStockValueIsolation:
    async def test_another_tenants_stock_never_appears(
        self, inventory: Inventory, other: Inventory
    ) -> None:
        mine = await inventory.warehouse("SAME")
        theirs = await other.warehouse("SAME")
        await other.price_list("Theirs", "JPY", is_default=True)
        for tenant, warehouse in ((inventory, mine), (other, theirs)):
            product = (await tenant.product(sku="SAME-SKU"))["id"]
            await move(tenant, receipt(product, warehouse["default_location_id"], "3", "10"))

        by_warehouse = await stock_value(inventory)
        assert [g["warehouse_id"] for g in by_warehouse["groups"]] == [mine["id"]]
        assert by_warehouse["currency"] is None
        assert figures(by_warehouse["total"]) == (Decimal(3), "30.00", Decimal(0))
        by_category = await stock_value(inventory, group_by="category")
        assert figures(by_category["total"]) == (Decimal(3), "30.00", Decimal(0))

        # Another tenant's warehouse id filters to nothing, as on the list endpoints.
        filtered = await stock_value(inventory, warehouse_id=theirs["id"])
        assert filtered["groups"] == []
        assert figures(filtered["total"]) == (Decimal(0), "0.00", Decimal(0))


# Movements over time


class Clock:
    """Sets the time movements (and fulfilments) are recorded at."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def at(self, moment: str) -> None:
        when = datetime.fromisoformat(moment)
        for module in (movements, reservations):
            self.monkeypatch.setattr(module, "utcnow", lambda: when)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


async def movement_report(inventory: Inventory, **params: Any) -> dict[str, Any]:
    return ok(await inventory.get("/reports/movements", **params))


def flows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(b["period_start"], b["in"], b["out"], b["net"]) for b in report["buckets"]]


def amounts(report: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(Decimal(b["in"]), Decimal(b["out"]), Decimal(b["net"])) for b in report["buckets"]]


@pytest.fixture
async def site(inventory: Inventory) -> dict[str, Any]:
    a = await inventory.warehouse("A")
    b = await inventory.warehouse("B")
    return {
        "a": a["id"],
        "b": b["id"],
        "a1": a["default_location_id"],
        "a2": (await inventory.location(a["id"], "A2"))["id"],
        "b1": b["default_location_id"],
        "bolt": (await inventory.product(sku="BOLT"))["id"],
        "nut": (await inventory.product(sku="NUT"))["id"],
    }


class TestMovementBuckets:
    async def test_daily_in_and_out_with_empty_days_listed(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1 = site["bolt"], site["a1"]
        clock.at("2026-01-01T09:00:00+00:00")
        await move(inventory, receipt(bolt, a1, "10", "2"))
        clock.at("2026-01-03T17:30:00+00:00")
        await move(inventory, receipt(bolt, a1, "4"), issue(bolt, a1, "3"))

        report = await movement_report(
            inventory,
            interval="day",
            **{"from": "2026-01-01T00:00:00Z", "to": "2026-01-04T00:00:00Z"},
        )

        assert flows(report) == [
            ("2026-01-01T00:00:00Z", "10", "0", "10"),
            ("2026-01-02T00:00:00Z", "0", "0", "0"),
            ("2026-01-03T00:00:00Z", "4", "3", "1"),
        ]
        assert report["total"] == {"in": "14", "out": "3", "net": "11"}
        assert (report["interval"], report["tz"]) == ("day", "UTC")

    async def test_from_and_to_bound_the_lines_not_the_periods(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1 = site["bolt"], site["a1"]
        for moment in ("2026-01-01T06:00:00+00:00", "2026-01-01T12:00:00+00:00"):
            clock.at(moment)
            await move(inventory, receipt(bolt, a1, "1"))
        clock.at("2026-01-02T12:00:00+00:00")
        await move(inventory, receipt(bolt, a1, "100"))  # at `to`: excluded

        report = await movement_report(
            inventory, **{"from": "2026-01-01T12:00:00Z", "to": "2026-01-02T12:00:00Z"}
        )
        assert flows(report) == [
            ("2026-01-01T00:00:00Z", "1", "0", "1"),
            ("2026-01-02T00:00:00Z", "0", "0", "0"),
        ]

    async def test_weeks_start_on_monday_and_months_on_the_first(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1 = site["bolt"], site["a1"]
        for moment, quantity in (
            ("2026-01-04T23:00:00+00:00", "1"),  # Sunday
            ("2026-01-05T00:00:00+00:00", "2"),  # Monday
            ("2026-02-28T10:00:00+00:00", "4"),
            ("2026-03-01T10:00:00+00:00", "8"),
        ):
            clock.at(moment)
            await move(inventory, receipt(bolt, a1, quantity))
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}

        weekly = await movement_report(inventory, interval="week", **span)
        starts = [b["period_start"] for b in weekly["buckets"]]
        assert starts[0] == "2025-12-29T00:00:00Z"  # the Monday of the week holding `from`
        assert starts[-1] == "2026-02-23T00:00:00Z"  # the next Monday is `to` itself
        assert len(starts) == 9
        assert [Decimal(b["in"]) for b in weekly["buckets"][:2]] == [Decimal(1), Decimal(2)]
        assert [Decimal(b["in"]) for b in weekly["buckets"][-1:]] == [Decimal(12)]

        monthly = await movement_report(inventory, interval="month", **span)
        assert flows(monthly) == [
            ("2026-01-01T00:00:00Z", "3", "0", "3"),
            ("2026-02-01T00:00:00Z", "4", "0", "4"),
            ("2026-03-01T00:00:00Z", "8", "0", "8"),
        ]

    async def test_periods_follow_the_given_time_zone_across_daylight_saving(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1 = site["bolt"], site["a1"]
        clock.at("2026-03-28T23:30:00+00:00")  # 00:30 on the 29th in Berlin
        await move(inventory, receipt(bolt, a1, "5"))
        span = {"from": "2026-03-28T00:00:00+01:00", "to": "2026-03-31T00:00:00+02:00"}

        berlin = await movement_report(inventory, tz="Europe/Berlin", **span)
        assert flows(berlin) == [
            ("2026-03-28T00:00:00+01:00", "0", "0", "0"),
            ("2026-03-29T00:00:00+01:00", "5", "0", "5"),  # clocks go forward at 02:00
            ("2026-03-30T00:00:00+02:00", "0", "0", "0"),
        ]
        utc = await movement_report(inventory, **span)
        assert [b["in"] for b in utc["buckets"]] == ["0", "5", "0", "0"]
        assert utc["buckets"][0]["period_start"] == "2026-03-27T00:00:00Z"


class TestWhatCountsAsInAndOut:
    async def test_adjustments_and_fulfilments_count_transfers_do_not(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1, b1 = site["bolt"], site["a1"], site["b1"]
        clock.at("2026-01-01T10:00:00+00:00")
        await move(inventory, receipt(bolt, a1, "20"))
        await move(inventory, adjustment(bolt, a1, "3"), adjustment(bolt, a1, "-2"))
        await move(inventory, transfer(bolt, a1, b1, "5"))
        reservation = ok(
            await inventory.post(
                "/stock/reservations",
                {"product_id": bolt, "location_id": b1, "quantity": "4", "reference": "SO-1"},
            ),
            201,
        )
        clock.at("2026-01-01T11:00:00+00:00")
        ok(await inventory.post(f"/stock/reservations/{reservation['id']}/fulfil", {}))

        report = await movement_report(
            inventory, **{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        )
        assert amounts(report) == [(Decimal(23), Decimal(6), Decimal(17))]

    async def test_seen_from_a_warehouse_transfers_across_its_boundary_count(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        bolt, a1, a2, b1 = site["bolt"], site["a1"], site["a2"], site["b1"]
        clock.at("2026-01-01T10:00:00+00:00")
        await move(inventory, receipt(bolt, a1, "20"), receipt(bolt, b1, "20"))
        clock.at("2026-01-02T10:00:00+00:00")
        await move(inventory, transfer(bolt, a1, a2, "7"))  # inside A: never counts
        await move(inventory, transfer(bolt, a1, b1, "5"))  # A → B
        await move(inventory, transfer(bolt, b1, a2, "2"))  # B → A
        await move(inventory, issue(bolt, a2, "1"))
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-03T00:00:00Z"}

        organization = await movement_report(inventory, **span)
        seen_from_a = await movement_report(inventory, warehouse_id=site["a"], **span)
        seen_from_b = await movement_report(inventory, warehouse_id=site["b"], **span)

        assert amounts(organization) == [
            (Decimal(40), Decimal(0), Decimal(40)),
            (Decimal(0), Decimal(1), Decimal(-1)),
        ]
        assert amounts(seen_from_a) == [
            (Decimal(20), Decimal(0), Decimal(20)),
            (Decimal(2), Decimal(6), Decimal(-4)),
        ]
        assert amounts(seen_from_b) == [
            (Decimal(20), Decimal(0), Decimal(20)),
            (Decimal(5), Decimal(2), Decimal(3)),
        ]
        assert seen_from_a["warehouse_id"] == site["a"]

    async def test_the_product_filter_keeps_one_product(
        self, inventory: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        clock.at("2026-01-01T10:00:00+00:00")
        await move(
            inventory, receipt(site["bolt"], site["a1"], "3"), receipt(site["nut"], site["a1"], "5")
        )
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        report = await movement_report(inventory, product_id=site["nut"], **span)
        assert amounts(report) == [(Decimal(5), Decimal(0), Decimal(5))]
        assert report["product_id"] == site["nut"]


class TestMovementReportIsolation:
    async def test_another_tenants_movements_and_ids_give_nothing(
        self, inventory: Inventory, other: Inventory, site: dict[str, Any], clock: Clock
    ) -> None:
        clock.at("2026-01-01T10:00:00+00:00")
        await move(inventory, receipt(site["bolt"], site["a1"], "1"))
        theirs = await other.warehouse("A")
        their_bolt = (await other.product(sku="BOLT"))["id"]
        await move(other, receipt(their_bolt, theirs["default_location_id"], "50"))
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}

        assert amounts(await movement_report(inventory, **span)) == [
            (Decimal(1), Decimal(0), Decimal(1))
        ]
        for params in ({"warehouse_id": theirs["id"]}, {"product_id": their_bolt}):
            assert amounts(await movement_report(inventory, **params, **span)) == [
                (Decimal(0), Decimal(0), Decimal(0))
            ]


class TestMovementReportValidation:
    async def test_an_unknown_interval_is_422(self, inventory: Inventory) -> None:
        response = await inventory.get(
            "/reports/movements",
            interval="hour",
            **{"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
        )
        body = problem(response)
        assert body["code"] == "validation-failed"
        assert [e["field"] for e in body["errors"]] == ["interval"]

    @pytest.mark.parametrize(
        ("start", "end"),
        [("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"), ("2026-01-01T00:00:00Z",) * 2],
    )
    async def test_to_must_be_after_from(self, inventory: Inventory, start: str, end: str) -> None:
        body = problem(await inventory.get("/reports/movements", **{"from": start, "to": end}))
        assert body["code"] == "invalid-report-query"
        assert body["errors"][0]["loc"] == ["query", "to"]
        assert body["detail"] == "The report cannot be made: to: Must be later than from."

    async def test_at_most_366_periods(self, inventory: Inventory) -> None:
        leap_year = {"from": "2028-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z"}
        assert len((await movement_report(inventory, **leap_year))["buckets"]) == 366
        one_more = {"from": "2028-01-01T00:00:00Z", "to": "2029-01-01T00:00:01Z"}
        body = problem(await inventory.get("/reports/movements", **one_more))
        assert body["code"] == "invalid-report-query"
        assert body["errors"][0]["type"] == "too_many_periods"
        assert "At most 366 periods" in body["detail"]
        monthly = await movement_report(inventory, interval="month", **one_more)
        assert len(monthly["buckets"]) == 13

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"to": "2026-01-02T00:00:00Z"}, "from"),
            ({"from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}, "from"),
            ({"from": "yesterday", "to": "2026-01-02T00:00:00Z"}, "from"),
        ],
    )
    async def test_from_and_to_are_required_with_an_offset(
        self, inventory: Inventory, params: dict[str, str], field: str
    ) -> None:
        body = problem(await inventory.get("/reports/movements", **params))
        assert body["code"] == "validation-failed"
        assert [e["field"] for e in body["errors"]] == [field]

    async def test_an_unknown_time_zone_is_422(self, inventory: Inventory) -> None:
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        body = problem(await inventory.get("/reports/movements", tz="Mars/Olympus", **span))
        assert body["code"] == "invalid-report-query"
        assert body["errors"][0]["loc"] == ["query", "tz"]

    async def test_an_unknown_grouping_is_422(self, inventory: Inventory) -> None:
        body = problem(await inventory.get("/reports/stock-value", group_by="product"))
        assert [e["field"] for e in body["errors"]] == ["group_by"]


class TestAccess:
    def test_both_reports_require_inventory_read(self, app: FastAPI) -> None:
        required = {
            str(route.path): [
                getattr(dependency.call, "required_permission", None)
                for dependency in route.dependant.dependencies
            ]
            for route in iter_route_contexts(app.routes)
            if str(route.path).startswith("/api/v1/reports/")
        }
        assert required == {
            "/api/v1/reports/stock-value": [Permission.INVENTORY_READ, None],
            "/api/v1/reports/movements": [Permission.INVENTORY_READ, None],
            # The service desk's report, beside inventory's in the full app.
            "/api/v1/reports/tickets": [Permission.TICKETS_READ, None],
            "/api/v1/reports/csat": [Permission.TICKETS_READ, None],
        }

    async def test_a_viewer_reads_reports(
        self, inventory: Inventory, identity: Identity, owner: Account
    ) -> None:
        viewer = Inventory(inventory.client, await identity.member(owner, "viewer"))
        span = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
        assert (await viewer.get("/reports/stock-value")).status_code == 200
        assert (await viewer.get("/reports/movements", **span)).status_code == 200

    async def test_no_credentials_is_401(self, client: AsyncClient) -> None:
        for path in ("/api/v1/reports/stock-value", "/api/v1/reports/movements"):
            assert problem(await client.get(path), 401)["code"] == "unauthenticated"
