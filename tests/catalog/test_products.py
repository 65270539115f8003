"""Products: create, read, change with optimistic concurrency, archive, delete."""

from __future__ import annotations

from httpx import AsyncClient

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
        assert duplicate.status_code == 409, duplicate.text

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

    async def test_negative_reorder_quantity_is_422(self, catalog: Catalog) -> None:
        response = await catalog.post(
            "/products", {"sku": "A", "name": "A", "reorder_quantity": "-1"}
        )
        assert response.status_code == 422, response.text


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
        assert response.status_code == 409, response.text
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
        assert stale.status_code == 412, stale.text
        stale_delete = await catalog.delete(f"/products/{product['id']}", {"If-Match": '"1"'})
        assert stale_delete.status_code == 412, stale_delete.text
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
            assert response.status_code == 422, (body, response.text)
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_unknown_field_on_create_is_422(self, catalog: Catalog) -> None:
        response = await catalog.post("/products", {"sku": "A", "name": "A", "price": "3"})
        assert response.status_code == 422, response.text

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
        assert (await catalog.get(f"/products/{product['id']}")).status_code == 404
        assert (await catalog.get(f"/products/{product['id']}/prices")).status_code == 404

    async def test_unknown_product_is_404(self, catalog: Catalog, client: AsyncClient) -> None:
        missing = "0190b3c4-0000-7000-8000-000000000000"
        for response in (
            await catalog.get(f"/products/{missing}"),
            await catalog.patch(f"/products/{missing}", {"name": "x"}),
            await catalog.delete(f"/products/{missing}"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "product-not-found"
