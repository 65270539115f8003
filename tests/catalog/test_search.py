"""Product search (q), filters, sorting and keyset pagination."""

from __future__ import annotations

from typing import Any

import pytest

from tests.catalog.conftest import Catalog, ok


async def _pages(catalog: Catalog, limit: int, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = ok(await catalog.get("/products", **query))
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


class TestQuery:
    @pytest.fixture
    async def products(self, catalog: Catalog) -> dict[str, str]:
        drill = await catalog.product(sku="DRL-100", name="Cordless Drill", barcode="4006381333931")
        saw = await catalog.product(sku="SAW-200", name="Circular saw", barcode="5012345678900")
        bits = await catalog.product(sku="BIT-300", name="Drill bits (set of 10)")
        percent = await catalog.product(sku="PCT-1", name="100% cotton rag")
        return {"drill": drill["id"], "saw": saw["id"], "bits": bits["id"], "pct": percent["id"]}

    async def _found(self, catalog: Catalog, q: str) -> set[str]:
        return {p["id"] for p in await catalog.all_products(q=q)}

    async def test_sku_prefix_case_insensitive(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "drl") == {products["drill"]}
        assert await self._found(catalog, "SAW-2") == {products["saw"]}

    async def test_name_substring_case_insensitive(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "DRILL") == {products["drill"], products["bits"]}
        assert await self._found(catalog, "cular s") == {products["saw"]}

    async def test_barcode_prefix_and_substring(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "400638") == {products["drill"]}
        assert await self._found(catalog, "2345678") == {products["saw"]}

    async def test_like_wildcards_in_q_are_literal(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "0%") == {products["pct"]}
        assert await self._found(catalog, "_") == set()
        assert await self._found(catalog, "nothing-like-this") == set()


class TestSortingAndPagination:
    @pytest.fixture
    async def seven(self, catalog: Catalog) -> list[dict[str, Any]]:
        names = ["delta", "Alpha", "charlie", "Echo", "bravo", "golf", "Foxtrot"]
        created = []
        for i, name in enumerate(names):
            created.append(await catalog.product(sku=f"S{(i * 3) % 7}", name=name))
        # Touch two, so updated_at order differs from creation order.
        for product in (created[0], created[4]):
            ok(await catalog.patch(f"/products/{product['id']}", {"description": "touched"}))
        return created

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            ("sku", "asc"),
            ("sku", "desc"),
            ("name", "asc"),
            ("name", "desc"),
            ("updated_at", "asc"),
            ("updated_at", "desc"),
        ],
    )
    async def test_three_pages_have_no_duplicates_or_gaps_and_follow_the_sort(
        self, catalog: Catalog, seven: list[dict[str, Any]], sort: str, order: str
    ) -> None:
        pages = await _pages(catalog, 3, sort=sort, order=order)
        assert [len(page) for page in pages] == [3, 3, 1]
        items = [item for page in pages for item in page]
        assert len({item["id"] for item in items}) == 7
        assert {item["id"] for item in items} == {p["id"] for p in seven}

        def key(item: dict[str, Any]) -> Any:
            value = item[sort]
            return value.lower() if sort != "updated_at" else value

        keys = [(key(item), item["id"]) for item in items]
        assert keys == sorted(keys, reverse=order == "desc")

    async def test_name_sort_is_case_insensitive(
        self, catalog: Catalog, seven: list[dict[str, Any]]
    ) -> None:
        names = [p["name"] for p in await catalog.all_products(sort="name")]
        assert names == ["Alpha", "bravo", "charlie", "delta", "Echo", "Foxtrot", "golf"]

    async def test_a_cursor_is_refused_with_another_sort(
        self, catalog: Catalog, seven: list[dict[str, Any]]
    ) -> None:
        cursor = ok(await catalog.get("/products", limit=2, sort="name"))["next_cursor"]
        response = await catalog.get("/products", limit=2, sort="sku", cursor=cursor)
        assert response.status_code == 400, response.text
        garbage = await catalog.get("/products", cursor="not-a-cursor")
        assert garbage.status_code == 400, garbage.text

    async def test_limit_bounds(self, catalog: Catalog) -> None:
        assert (await catalog.get("/products", limit=0)).status_code == 422
        assert (await catalog.get("/products", limit=501)).status_code == 422
        assert (await catalog.get("/products", sort="price")).status_code == 422
