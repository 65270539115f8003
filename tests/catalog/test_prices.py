"""Price lists (exactly one default) and the append-only price history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import problem
from tests.catalog.conftest import Catalog, catalog_rows, ok
from tests.conftest import TestServices
from tests.identity.conftest import Account


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class TestPriceLists:
    async def test_the_first_list_is_the_default_and_exactly_one_stays_default(
        self, catalog: Catalog
    ) -> None:
        retail = await catalog.price_list("Retail", "EUR")
        assert retail["is_default"] is True
        wholesale = await catalog.price_list("Wholesale", "EUR")
        assert wholesale["is_default"] is False
        export = await catalog.price_list("Export", "USD", is_default=True)
        assert export["is_default"] is True

        def defaults(items: list[dict[str, object]]) -> list[object]:
            return [p["name"] for p in items if p["is_default"]]

        assert defaults(ok(await catalog.get("/price-lists"))["items"]) == ["Export"]
        ok(await catalog.patch(f"/price-lists/{wholesale['id']}", {"is_default": True}))
        assert defaults(ok(await catalog.get("/price-lists"))["items"]) == ["Wholesale"]

        refused = await catalog.patch(f"/price-lists/{wholesale['id']}", {"is_default": False})
        problem(refused, 409, "default-price-list-required")
        assert defaults(ok(await catalog.get("/price-lists"))["items"]) == ["Wholesale"]

    async def test_names_are_unique_and_currency_must_be_iso_4217(self, catalog: Catalog) -> None:
        response = await catalog.post("/price-lists", {"name": "Retail", "currency": "EUR"})
        assert response.status_code == 201, response.text
        assert response.headers["Location"] == f"/api/v1/price-lists/{response.json()['id']}"
        taken = await catalog.post("/price-lists", {"name": "retail", "currency": "EUR"})
        assert "'retail'" in problem(taken, 409, "price-list-name-taken")["detail"]
        for currency in ("eur", "EURO", "ABC", "XXX", ""):
            bad = await catalog.post(
                "/price-lists", {"name": f"L {currency}", "currency": currency}
            )
            problem(bad, 422, "validation-failed")

    async def test_currency_cannot_be_changed(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        retail = await catalog.price_list("Retail", "EUR")
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.patch(f"/price-lists/{retail['id']}", {"currency": "USD"})
        problem(response, 422, "validation-failed")
        assert await catalog_rows(services, owner.tenant_id) == before


class TestPrices:
    async def test_prices_append_and_current_is_the_latest_in_effect_per_list(
        self, catalog: Catalog
    ) -> None:
        product = await catalog.product()
        retail = await catalog.price_list("Retail", "EUR")
        wholesale = await catalog.price_list("Wholesale", "USD", price_decimals=4)
        now = datetime.now(UTC)
        await catalog.price(product["id"], retail["id"], "10.00", _iso(now - timedelta(days=10)))
        second = await catalog.price(
            product["id"], retail["id"], "12.5", _iso(now - timedelta(days=1))
        )
        await catalog.price(product["id"], retail["id"], "15", _iso(now + timedelta(days=30)))
        response = await catalog.post(
            f"/products/{product['id']}/prices",
            {"price_list_id": wholesale["id"], "amount": "8.1234"},
        )
        latest_wholesale = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/products/{product['id']}/prices"

        body = ok(await catalog.get(f"/products/{product['id']}/prices"))
        current = {c["price_list_name"]: (c["amount"], c["currency"]) for c in body["current"]}
        # The future-dated price (15) is in the history but not current yet.
        assert current == {"Retail": ("12.5", "EUR"), "Wholesale": ("8.1234", "USD")}
        assert {c["id"] for c in body["current"]} == {second["id"], latest_wholesale["id"]}
        assert [h["amount"] for h in body["history"]] == ["15", "8.1234", "12.5", "10.00"]
        effective = [h["effective_from"] for h in body["history"]]
        assert effective == sorted(effective, reverse=True)

    async def test_amount_rules_and_unknown_list(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        product = await catalog.product()
        retail = await catalog.price_list("Retail")
        before = await catalog_rows(services, owner.tenant_id)
        path = f"/products/{product['id']}/prices"
        unknown = "0190b3c4-0000-7000-8000-000000000000"
        for extra, code, named in (
            ({"amount": "-1"}, "validation-failed", "amount:"),
            ({"amount": "1.23456"}, "validation-failed", "amount:"),
            ({"amount": "NaN"}, "validation-failed", "amount:"),
            (
                {"amount": "1", "effective_from": "2030-01-01T00:00:00"},
                "validation-failed",
                "effective_from:",
            ),
            ({"amount": "1", "currency": "EUR"}, "validation-failed", "currency:"),
            ({"amount": "1", "price_list_id": unknown}, "unknown-price-list", "No price list"),
        ):
            response = await catalog.post(path, {"price_list_id": retail["id"], **extra})
            assert named in problem(response, 422, code)["detail"], extra
        assert await catalog_rows(services, owner.tenant_id) == before

    @pytest.mark.parametrize(
        ("currency", "accepted", "refused", "decimals"),
        [
            ("EUR", "1.99", "1.999", 2),
            ("JPY", "1500", "1500.5", 0),
            ("BHD", "1.999", "1.9995", 3),
            ("USD", "0.10", "0.105", 2),
        ],
    )
    async def test_a_price_has_at_most_the_currencys_minor_units(
        self,
        catalog: Catalog,
        owner: Account,
        services: TestServices,
        currency: str,
        accepted: str,
        refused: str,
        decimals: int,
    ) -> None:
        product = await catalog.product()
        price_list = await catalog.price_list(f"List {currency}", currency)
        assert price_list["price_decimals"] == decimals
        path = f"/products/{product['id']}/prices"
        ok(await catalog.post(path, {"price_list_id": price_list["id"], "amount": accepted}), 201)
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post(path, {"price_list_id": price_list["id"], "amount": refused})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "too-many-decimals"
        assert [e["field"] for e in problem["errors"]] == ["amount"]
        assert f"at most {decimals} decimal places" in problem["detail"]
        assert currency in problem["detail"]
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_a_list_may_declare_more_places_for_sub_cent_prices(
        self, catalog: Catalog
    ) -> None:
        product = await catalog.product()
        screws = await catalog.price_list("Screws by the piece", "EUR", price_decimals=3)
        path = f"/products/{product['id']}/prices"
        created = ok(
            await catalog.post(path, {"price_list_id": screws["id"], "amount": "0.045"}), 201
        )
        assert created["amount"] == "0.045"
        refused = await catalog.post(path, {"price_list_id": screws["id"], "amount": "0.0455"})
        assert refused.json()["code"] == "too-many-decimals"
        # Raised later, it applies to the prices added from then on.
        changed = ok(await catalog.patch(f"/price-lists/{screws['id']}", {"price_decimals": 4}))
        assert changed["price_decimals"] == 4
        ok(await catalog.post(path, {"price_list_id": screws["id"], "amount": "0.0455"}), 201)
        for body in ({"price_decimals": 5}, {"price_decimals": -1}, {"price_decimals": None}):
            response = await catalog.patch(f"/price-lists/{screws['id']}", body)
            assert "price_decimals" in problem(response, 422, "validation-failed")["detail"]
        assert ok(await catalog.get(f"/price-lists/{screws['id']}"))["price_decimals"] == 4

    async def test_product_without_prices_has_empty_lists(self, catalog: Catalog) -> None:
        product = await catalog.product()
        body = ok(await catalog.get(f"/products/{product['id']}/prices"))
        assert body == {"product_id": product["id"], "current": [], "history": []}
