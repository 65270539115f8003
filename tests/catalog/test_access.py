"""Tenant isolation (another tenant's ids are 404, lists never leak) and permissions."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.builders import problem
from tests.catalog.conftest import Catalog, catalog_rows, ok
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity


@pytest.fixture
async def other(client: AsyncClient, identity: Identity) -> Catalog:
    return Catalog(client, await identity.signup("Beta"))


async def _populate(catalog: Catalog) -> dict[str, Any]:
    category = await catalog.category("Shared name")
    product = await catalog.product(sku="SAME-SKU", barcode="777", category_id=category["id"])
    price_list = await catalog.price_list("Retail")
    await catalog.price(product["id"], price_list["id"], "1")
    return {"category": category, "product": product, "price_list": price_list}


class TestTenantIsolation:
    async def test_another_tenants_ids_are_404_everywhere_and_change_nothing(
        self, catalog: Catalog, other: Catalog, services: TestServices
    ) -> None:
        await _populate(catalog)
        theirs = await _populate(other)
        before = await catalog_rows(services, other.account.tenant_id)
        product_id = theirs["product"]["id"]
        category_id = theirs["category"]["id"]
        price_list_id = theirs["price_list"]["id"]
        responses = {
            "get product": await catalog.get(f"/products/{product_id}"),
            "patch product": await catalog.patch(f"/products/{product_id}", {"name": "x"}),
            "delete product": await catalog.delete(f"/products/{product_id}"),
            "get prices": await catalog.get(f"/products/{product_id}/prices"),
            "post price": await catalog.post(
                f"/products/{product_id}/prices", {"price_list_id": price_list_id, "amount": "1"}
            ),
            "get category": await catalog.get(f"/categories/{category_id}"),
            "patch category": await catalog.patch(f"/categories/{category_id}", {"name": "x"}),
            "delete category": await catalog.delete(f"/categories/{category_id}"),
            "get price list": await catalog.get(f"/price-lists/{price_list_id}"),
            "patch price list": await catalog.patch(f"/price-lists/{price_list_id}", {"name": "x"}),
        }
        assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(
            responses, 404
        )
        assert await catalog_rows(services, other.account.tenant_id) == before

    async def test_references_to_another_tenants_rows_in_a_body_are_unknown(
        self, catalog: Catalog, other: Catalog, services: TestServices
    ) -> None:
        mine = await _populate(catalog)
        theirs = await _populate(other)
        attempts = [
            await catalog.post(
                "/products", {"sku": "N", "name": "N", "category_id": theirs["category"]["id"]}
            ),
            await catalog.patch(
                f"/products/{mine['product']['id']}", {"category_id": theirs["category"]["id"]}
            ),
            await catalog.post("/categories", {"name": "N", "parent_id": theirs["category"]["id"]}),
            await catalog.patch(
                f"/categories/{mine['category']['id']}", {"parent_id": theirs["category"]["id"]}
            ),
            await catalog.post(
                f"/products/{mine['product']['id']}/prices",
                {"price_list_id": theirs["price_list"]["id"], "amount": "1"},
            ),
        ]
        assert [r.status_code for r in attempts] == [422] * len(attempts)

    async def test_lists_and_search_never_include_another_tenants_rows(
        self, catalog: Catalog, other: Catalog
    ) -> None:
        mine = await _populate(catalog)
        await _populate(other)
        assert [p["id"] for p in await catalog.all_products()] == [mine["product"]["id"]]
        assert [p["id"] for p in await catalog.all_products(q="same")] == [mine["product"]["id"]]
        assert [c["id"] for c in ok(await catalog.get("/categories"))["items"]] == [
            mine["category"]["id"]
        ]
        assert [p["id"] for p in ok(await catalog.get("/price-lists"))["items"]] == [
            mine["price_list"]["id"]
        ]
        units = ok(await catalog.get("/units"))["items"]
        assert len(units) == 6  # each tenant has its own six defaults

    async def test_the_same_sku_barcode_and_names_may_exist_in_two_tenants(
        self, catalog: Catalog, other: Catalog
    ) -> None:
        await _populate(catalog)
        await _populate(other)  # would be 409 if uniqueness were not per tenant


class TestPermissions:
    async def test_a_viewer_reads_but_cannot_write(
        self, client: AsyncClient, identity: Identity, owner: Account, catalog: Catalog
    ) -> None:
        data = await _populate(catalog)
        viewer = Catalog(client, await identity.member(owner, "viewer"))
        product_id = data["product"]["id"]
        assert (await viewer.get(f"/products/{product_id}")).status_code == 200
        assert (await viewer.get(f"/products/{product_id}/prices")).status_code == 200
        assert (await viewer.get("/categories")).status_code == 200
        assert (await viewer.get("/price-lists")).status_code == 200
        assert (await viewer.get("/units")).status_code == 200
        writes = [
            await viewer.post("/products", {"sku": "V", "name": "V"}),
            await viewer.patch(f"/products/{product_id}", {"name": "V"}),
            await viewer.delete(f"/products/{product_id}"),
            await viewer.post("/categories", {"name": "V"}),
            await viewer.post("/units", {"code": "v", "name": "V", "decimals": 0}),
            await viewer.post("/price-lists", {"name": "V", "currency": "EUR"}),
            await viewer.post(
                f"/products/{product_id}/prices",
                {"price_list_id": data["price_list"]["id"], "amount": "2"},
            ),
        ]
        assert [r.status_code for r in writes] == [403] * len(writes)

    async def test_staff_cannot_write_but_a_manager_can(
        self, client: AsyncClient, identity: Identity, owner: Account, services: TestServices
    ) -> None:
        staff = Catalog(client, await identity.member(owner, "staff"))
        before = await catalog_rows(services, owner.tenant_id)
        problem(await staff.post("/products", {"sku": "S", "name": "S"}), 403, "permission-denied")
        assert await catalog_rows(services, owner.tenant_id) == before
        manager = Catalog(client, await identity.member(owner, "manager"))
        product = await manager.product()
        price_list = await manager.price_list("Retail")
        await manager.price(product["id"], price_list["id"], "3")
        await manager.category("Managed")

    async def test_without_a_token_is_401(self, client: AsyncClient) -> None:
        problem(await client.get("/api/v1/products"), 401, "unauthenticated")
