"""Products: create, read, change with optimistic concurrency, archive, delete."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.builders import problem
from tests.catalog.conftest import Catalog, catalog_rows, ok
from tests.conftest import TestServices
from tests.identity.conftest import Account


class TestCreateAndRead:
    async def test_create_returns_201_location_etag_and_the_product(self, catalog: Catalog) -> None:
        category = await catalog.category("Tools")
        response = await catalog.post(
            "/products",
            {
                "sku": "DRL-100",
                "name": "Cordless drill",
                "description": "18 V",
                "category_id": category["id"],
                "unit": "pcs",
                "barcode": "4006381333931",
                "attributes": {"voltage": 18, "colour": "blue"},
                "reorder_point": "5",
                "reorder_quantity": "20",
            },
        )
        body = ok(response, 201)
        assert response.headers["Location"] == f"/api/v1/products/{body['id']}"
        assert response.headers["ETag"] == '"1"'
        assert body["sku"] == "DRL-100"
        assert body["unit"] == "pcs"
        assert body["category_id"] == category["id"]
        assert body["attributes"] == {"voltage": 18, "colour": "blue"}
        assert body["reorder_point"] == "5"
        assert body["is_active"] is True
        assert body["version"] == 1

        read = await catalog.get(f"/products/{body['id']}")
        assert ok(read) == body
        assert read.headers["ETag"] == '"1"'

    async def test_defaults_units_exist_lazily_and_once(self, catalog: Catalog) -> None:
        first = ok(await catalog.get("/units"))
        again = ok(await catalog.get("/units"))
        assert first == again
        assert {u["code"]: u["decimals"] for u in first["items"]} == {
            "box": 0,
            "g": 0,
            "kg": 3,
            "l": 3,
            "m": 3,
            "pcs": 0,
        }

    async def test_a_custom_unit_can_be_created_and_used(self, catalog: Catalog) -> None:
        response = await catalog.post(
            "/units", {"code": "m2", "name": "Square metres", "decimals": 2}
        )
        assert ok(response, 201)["code"] == "m2"
        assert response.headers["Location"] == "/api/v1/units/m2"
        assert ok(await catalog.get("/units/m2"))["decimals"] == 2
        product = await catalog.product(unit="m2", reorder_point="1.25")
        assert product["unit"] == "m2"
        duplicate = await catalog.post("/units", {"code": "M2", "name": "again", "decimals": 2})
        assert "'m2'" in problem(duplicate, 409, "unit-exists")["detail"]

    async def test_unknown_unit_is_422_naming_the_field(self, catalog: Catalog) -> None:
        response = await catalog.post("/products", {"sku": "A", "name": "A", "unit": "furlong"})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unknown-unit"
        assert response.json()["errors"][0]["field"] == "unit"

    async def test_reorder_point_with_more_decimals_than_the_unit_allows_is_422(
        self, catalog: Catalog
    ) -> None:
        response = await catalog.post(
            "/products", {"sku": "A", "name": "A", "unit": "pcs", "reorder_point": "1.5"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "too-many-decimals"
        assert (await catalog.product(unit="kg", reorder_point="1.5"))["reorder_point"] == "1.5"

    async def test_negative_reorder_quantity_is_422_and_writes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post(
            "/products", {"sku": "A", "name": "A", "reorder_quantity": "-1"}
        )
        problem(response, 422, "validation-failed")
        assert await catalog_rows(services, owner.tenant_id) == before


class TestUniqueness:
    async def test_duplicate_sku_differing_only_in_case_is_409_and_writes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        await catalog.product(sku="abc-1")
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post("/products", {"sku": "ABC-1", "name": "Other"})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "sku-taken"
        assert response.headers["content-type"] == "application/problem+json"
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_renaming_a_sku_onto_another_is_409(self, catalog: Catalog) -> None:
        await catalog.product(sku="ONE")
        two = await catalog.product(sku="TWO")
        response = await catalog.patch(f"/products/{two['id']}", {"sku": "one"})
        problem(response, 409, "sku-taken")
        assert ok(await catalog.get(f"/products/{two['id']}"))["sku"] == "TWO"

    async def test_duplicate_barcode_is_409_but_many_products_may_have_none(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        await catalog.product(barcode="12345678")
        await catalog.product()
        await catalog.product()
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post("/products", {"sku": "X", "name": "X", "barcode": "12345678"})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "barcode-taken"
        assert await catalog_rows(services, owner.tenant_id) == before


# "4006381333931" in fullwidth digits: str.isdigit() says yes, a scanner never sends it.
FULLWIDTH_EAN13 = "".join(chr(0xFF10 + int(digit)) for digit in "4006381333931")


class TestHostileStrings:
    @pytest.mark.parametrize(
        "body",
        [
            {"sku": "A\u0000B", "name": "x"},
            {"sku": "AB", "name": "x\u0000"},
            {"sku": "AB", "name": "x", "attributes": {"colour": "red\u0000"}},
            {"sku": "AB", "name": "x", "attributes": {"k\u0000": 1}},
            {"sku": "AB", "name": "x", "attributes": {"list": ["a", ["b\u0000"]]}},
        ],
    )
    async def test_a_nul_character_anywhere_in_a_body_is_422_and_writes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices, body: dict[str, object]
    ) -> None:
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post("/products", body)
        problem(response, 422, "invalid-text")
        assert "NUL" in response.json()["detail"]
        assert await catalog_rows(services, owner.tenant_id) == before


class TestBarcodeTypes:
    """EAN-13, EAN-8 and UPC-A have a fixed length and a check digit; ``other`` (the
    default) takes any code, as every product before barcode types did."""

    @pytest.mark.parametrize(
        ("kind", "code"),
        [
            ("ean13", "4006381333931"),
            ("ean8", "96385074"),
            ("upca", "036000291452"),
            ("other", "123"),
            ("other", "ABC-42/x"),
        ],
    )
    async def test_a_valid_code_of_its_type_is_accepted(
        self, catalog: Catalog, kind: str, code: str
    ) -> None:
        product = await catalog.product(barcode=code, barcode_type=kind)
        assert (product["barcode"], product["barcode_type"]) == (code, kind)
        read = ok(await catalog.get(f"/products/{product['id']}"))
        assert read["barcode_type"] == kind

    async def test_the_default_type_is_other_and_takes_any_code(self, catalog: Catalog) -> None:
        product = await catalog.product(barcode="123")
        assert product["barcode_type"] == "other"

    @pytest.mark.parametrize(
        ("kind", "code", "message"),
        [
            ("ean13", "123", "'123' is not an EAN-13: an EAN-13 is 13 digits."),
            (
                "ean13",
                "4006381333932",
                "'4006381333932' is not an EAN-13: its check digit should be 1, not 2.",
            ),
            ("ean13", "400638133393X", "is 13 digits"),
            ("ean13", FULLWIDTH_EAN13, "is 13 digits"),
            ("ean8", "96385075", "its check digit should be 4, not 5"),
            ("ean8", "4006381333931", "an EAN-8 is 8 digits"),
            ("upca", "036000291453", "its check digit should be 2, not 3"),
            ("upca", "36000291452", "a UPC-A is 12 digits"),
        ],
    )
    async def test_a_malformed_code_is_422_naming_the_field_and_writes_nothing(
        self,
        catalog: Catalog,
        owner: Account,
        services: TestServices,
        kind: str,
        code: str,
        message: str,
    ) -> None:
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post(
            "/products", {"sku": "X", "name": "X", "barcode": code, "barcode_type": kind}
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "invalid-barcode"
        assert [e["field"] for e in problem["errors"]] == ["barcode"]
        assert message in problem["detail"]
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_a_patch_checks_the_code_against_the_type_it_leaves(
        self, catalog: Catalog
    ) -> None:
        product = await catalog.product(barcode="123")
        path = f"/products/{product['id']}"
        refused = await catalog.patch(path, {"barcode_type": "ean13"})
        assert "is not an EAN-13" in problem(refused, 422, "invalid-barcode")["detail"]
        assert [e["field"] for e in refused.json()["errors"]] == ["barcode_type"]
        both = ok(await catalog.patch(path, {"barcode": "4006381333931", "barcode_type": "ean13"}))
        assert (both["barcode_type"], both["version"]) == ("ean13", 2)
        wrong_code = await catalog.patch(path, {"barcode": "4006381333932"})
        assert "check digit" in problem(wrong_code, 422, "invalid-barcode")["detail"]
        assert [e["field"] for e in wrong_code.json()["errors"]] == ["barcode"]
        assert ok(await catalog.get(path))["barcode"] == "4006381333931"
        unknown = await catalog.patch(path, {"barcode_type": "isbn"})
        assert "barcode_type" in problem(unknown, 422, "validation-failed")["detail"]
        assert ok(await catalog.get(path))["barcode_type"] == "ean13"
        assert ok(await catalog.patch(path, {"barcode": None}))["barcode"] is None


class TestChanges:
    async def test_patch_changes_only_given_fields_and_increments_the_version(
        self, catalog: Catalog
    ) -> None:
        product = await catalog.product(description="old", barcode="999")
        response = await catalog.patch(
            f"/products/{product['id']}", {"name": "Renamed", "barcode": None}
        )
        body = ok(response)
        assert response.headers["ETag"] == '"2"'
        assert body["version"] == 2
        assert body["name"] == "Renamed"
        assert body["barcode"] is None
        assert body["description"] == "old"
        assert body["sku"] == product["sku"]
        assert body["updated_at"] >= product["updated_at"]
        second = ok(await catalog.patch(f"/products/{product['id']}", {"reorder_point": "3"}))
        assert second["version"] == 3

    async def test_a_patch_that_changes_nothing_keeps_the_version(self, catalog: Catalog) -> None:
        product = await catalog.product(name="Same")
        body = ok(await catalog.patch(f"/products/{product['id']}", {"name": "Same"}))
        assert body["version"] == 1

    async def test_stale_if_match_is_412_and_changes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        product = await catalog.product()
        ok(await catalog.patch(f"/products/{product['id']}", {"name": "v2"}, {"If-Match": '"1"'}))
        before = await catalog_rows(services, owner.tenant_id)
        stale = await catalog.patch(
            f"/products/{product['id']}", {"name": "lost update"}, {"If-Match": '"1"'}
        )
        problem(stale, 412, "precondition-failed")
        stale_delete = await catalog.delete(f"/products/{product['id']}", {"If-Match": '"1"'})
        problem(stale_delete, 412, "precondition-failed")
        assert await catalog_rows(services, owner.tenant_id) == before
        current = await catalog.get(f"/products/{product['id']}")
        assert ok(current)["name"] == "v2"
        assert current.headers["ETag"] == '"2"'

    async def test_if_match_with_the_current_etag_succeeds(self, catalog: Catalog) -> None:
        product = await catalog.product()
        read = await catalog.get(f"/products/{product['id']}")
        response = await catalog.patch(
            f"/products/{product['id']}", {"name": "ok"}, {"If-Match": read.headers["ETag"]}
        )
        assert ok(response)["version"] == 2

    async def test_unknown_fields_and_tenant_id_in_a_patch_are_422(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        product = await catalog.product()
        before = await catalog_rows(services, owner.tenant_id)
        for body in (
            {"colour": "red"},
            {"tenant_id": owner.tenant_id},
            {"version": 7},
            {"id": product["id"]},
            {"name": None},
        ):
            response = await catalog.patch(f"/products/{product['id']}", body)
            problem(response, 422, "validation-failed")
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_unknown_field_on_create_is_422_and_writes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.post("/products", {"sku": "A", "name": "A", "price": "3"})
        assert problem(response, 422, "validation-failed")["errors"][0]["field"] == "price"
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_archiving_is_a_patch_of_is_active(self, catalog: Catalog) -> None:
        product = await catalog.product()
        body = ok(await catalog.patch(f"/products/{product['id']}", {"is_active": False}))
        assert body["is_active"] is False
        assert [p["id"] for p in await catalog.all_products(is_active=False)] == [product["id"]]
        assert await catalog.all_products(is_active=True) == []


class TestDelete:
    async def test_delete_removes_the_product_and_its_prices(self, catalog: Catalog) -> None:
        product = await catalog.product()
        price_list = await catalog.price_list("Retail")
        await catalog.price(product["id"], price_list["id"], "9.99")
        response = await catalog.delete(f"/products/{product['id']}", {"If-Match": '"1"'})
        assert response.status_code == 204, response.text
        problem(await catalog.get(f"/products/{product['id']}"), 404, "product-not-found")
        prices = await catalog.get(f"/products/{product['id']}/prices")
        problem(prices, 404, "product-not-found")

    async def test_unknown_product_is_404(self, catalog: Catalog, client: AsyncClient) -> None:
        missing = "0190b3c4-0000-7000-8000-000000000000"
        for response in (
            await catalog.get(f"/products/{missing}"),
            await catalog.patch(f"/products/{missing}", {"name": "x"}),
            await catalog.delete(f"/products/{missing}"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "product-not-found"
