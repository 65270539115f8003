"""Product search (q), filters, sorting and keyset pagination.

Search must answer exactly what the case-insensitive substring LIKE on SKU, name and
barcode answers, whichever way it is served: candidates from the posting table
(``product_search_grams``, kept by triggers) or the LIKE alone when every key is common.
The tests that compare with a Python model run both ways (``strategy`` fixture).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartermaster.catalog import repository
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from tests.builders import problem
from tests.catalog.conftest import Catalog, ok
from tests.conftest import TestServices, plain
from tests.identity.conftest import Identity

T = TypeVar("T")

FIELDS = ("sku", "name", "barcode")


@pytest.fixture(params=["postings", "like-only"])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each search test runs twice: as the data decides (with test-sized data every key is
    rare, so candidates come from the postings), and with every key counted as common,
    so the LIKE alone answers."""
    if request.param == "like-only":
        monkeypatch.setattr(repository.search, "SEARCH_RARE_POSTINGS", 1)
    return str(request.param)


def matches(product: dict[str, Any], q: str) -> bool:
    """The LIKE semantics, in Python: for text PostgreSQL's lower() lowercases as Python
    does (ASCII, and non-ASCII letters already in lowercase, whatever the database locale)."""
    return any(q.lower() in (product[field] or "").lower() for field in FIELDS)


def expected_postings(products: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(gram, product id): every substring of up to 3 characters starting anywhere in the
    lowercased SKU, name and barcode."""
    return {
        (text[i : i + 3], product["id"])
        for product in products
        for field in FIELDS
        if product[field]
        for text in [product[field].lower()]
        for i in range(len(text))
    }


async def app_role_fetch(
    app_url: str, tenant_id: str | None, query: str, *args: Any
) -> list[asyncpg.Record]:
    """Rows as the application role sees them in a transaction scoped to ``tenant_id``."""
    connection = await asyncpg.connect(plain(app_url))
    try:
        async with connection.transaction():
            if tenant_id is not None:
                await connection.execute("SELECT set_config('app.tenant_id', $1, true)", tenant_id)
            return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def postings(services: TestServices, tenant_id: str) -> set[tuple[str, str]]:
    rows = await app_role_fetch(
        services.app_url, tenant_id, "SELECT gram, product_id::text AS id FROM product_search_grams"
    )
    return {(row["gram"], row["id"]) for row in rows}


async def _pages(catalog: Catalog, limit: int, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = ok(await catalog.get("/products", **query))
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.usefixtures("strategy")
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

    async def test_one_and_two_characters_match_anywhere_not_only_at_the_start(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "w") == {products["saw"]}
        assert await self._found(catalog, "W") == {products["saw"]}
        # The last character of a name; the last two of a barcode.
        assert await self._found(catalog, ")") == {products["bits"]}
        assert await self._found(catalog, "0") == set(products.values())
        assert await self._found(catalog, "1") == set(products.values())
        assert await self._found(catalog, "%") == {products["pct"]}
        assert await self._found(catalog, "31") == {products["drill"]}
        assert await self._found(catalog, "aw") == {products["saw"]}
        assert await self._found(catalog, "G") == {products["pct"]}
        assert await self._found(catalog, "q") == set()
        assert await self._found(catalog, "zz") == set()

    async def test_terms_with_spaces_and_punctuation(
        self, catalog: Catalog, products: dict[str, str]
    ) -> None:
        assert await self._found(catalog, "s (set") == {products["bits"]}
        assert await self._found(catalog, "cotton rag") == {products["pct"]}
        assert await self._found(catalog, "cotton  rag") == set()
        assert await self._found(catalog, " ") == {
            products["drill"],
            products["saw"],
            products["bits"],
            products["pct"],
        }
        assert await self._found(catalog, "w-2") == {products["saw"]}


@pytest.mark.usefixtures("strategy")
class TestLiteralsAndUnicode:
    @pytest.fixture
    async def products(self, catalog: Catalog) -> list[dict[str, Any]]:
        names = [
            ("P-1", "50% off_cut", None),
            ("P-2", "snake_case bolt", "AB_12"),
            ("P-3", "back\\slash 100%", None),
            ("P-4", "Schraube Größe M8", "4-öä"),
            ("P-5", "Dichtring, ölbeständig", None),
            ("P-6", "Straßenschild", None),
            ("P-7", "plain", "X"),
        ]
        return [
            await catalog.product(sku=sku, name=name, barcode=code) for sku, name, code in names
        ]

    async def _check(self, catalog: Catalog, products: list[dict[str, Any]], q: str) -> set[str]:
        found = {p["id"] for p in await catalog.all_products(q=q)}
        assert found == {p["id"] for p in products if matches(p, q)}, q
        return found

    @pytest.mark.parametrize(
        "q", ["%", "0%", "% o", "_", "f_c", "e_c", "\\", "k\\s", "\\%", "%_", "_%", "__"]
    )
    async def test_wildcards_and_the_escape_character_are_literal(
        self, catalog: Catalog, products: list[dict[str, Any]], q: str
    ) -> None:
        await self._check(catalog, products, q)

    async def test_wildcards_find_what_contains_them(
        self, catalog: Catalog, products: list[dict[str, Any]]
    ) -> None:
        ids = [p["id"] for p in products]
        assert await self._check(catalog, products, "%") == {ids[0], ids[2]}
        assert await self._check(catalog, products, "_") == {ids[0], ids[1]}
        assert await self._check(catalog, products, "\\") == {ids[2]}

    @pytest.mark.parametrize(
        "q",
        ["größe", "GRÖßE", "schraube g", "ße", "ö", "ß", "öl", "ÖLBESTÄNDIG", "straßen", "ßensch",
         "grosse", "ä", "4-"],
    )  # fmt: skip
    async def test_unicode_terms_are_case_insensitive_substrings(
        self, catalog: Catalog, products: list[dict[str, Any]], q: str
    ) -> None:
        await self._check(catalog, products, q)

    async def test_unicode_terms_find_the_right_products(
        self, catalog: Catalog, products: list[dict[str, Any]]
    ) -> None:
        ids = [p["id"] for p in products]
        assert await self._check(catalog, products, "GRÖßE") == {ids[3]}
        assert await self._check(catalog, products, "ß") == {ids[3], ids[5]}
        assert await self._check(catalog, products, "öl") == {ids[4]}
        assert await self._check(catalog, products, "grosse") == set()

    async def test_barcode_substrings_any_case(
        self, catalog: Catalog, products: list[dict[str, Any]]
    ) -> None:
        ids = [p["id"] for p in products]
        assert await self._check(catalog, products, "ab_1") == {ids[1]}
        assert await self._check(catalog, products, "b_12") == {ids[1]}
        assert await self._check(catalog, products, "x") == {ids[6]}


@pytest.mark.usefixtures("strategy")
async def test_search_pages_follow_the_sort_without_duplicates_or_gaps(catalog: Catalog) -> None:
    for i in range(8):
        await catalog.product(sku=f"D-{(i * 5) % 8}", name=f"Drill {chr(ord('h') - i)}")
    await catalog.product(sku="OTHER", name="Saw")
    for sort, order in (("name", "asc"), ("sku", "desc"), ("updated_at", "asc")):
        pages = await _pages(catalog, 3, q="drill", sort=sort, order=order)
        items = [item for page in pages for item in page]
        assert [len(page) for page in pages] == [3, 3, 2]
        assert len({item["id"] for item in items}) == 8
        keys = [
            (item[sort].lower() if sort != "updated_at" else item[sort], item["id"])
            for item in items
        ]
        assert keys == sorted(keys, reverse=order == "desc")


class TestPostingsFollowTheProduct:
    async def test_a_new_product_has_the_windows_of_its_lowercased_fields(
        self, catalog: Catalog, services: TestServices
    ) -> None:
        created = [
            await catalog.product(sku="Ab-1", name="Größe M8", barcode="4006"),
            await catalog.product(sku="z", name="ab"),
        ]
        assert await postings(services, catalog.account.tenant_id) == expected_postings(created)

    async def test_a_rename_is_found_by_the_new_text_and_not_the_old(
        self, catalog: Catalog, services: TestServices
    ) -> None:
        product = await catalog.product(sku="OLD-SKU", name="Hammer", barcode="111222333")
        path = f"/products/{product['id']}"

        async def found(q: str) -> bool:
            return product["id"] in {p["id"] for p in await catalog.all_products(q=q)}

        changed = ok(await catalog.patch(path, {"name": "Mallet", "sku": "NEW-SKU"}))
        assert await found("mallet")
        assert await found("new-sku")
        assert not await found("hammer")
        assert not await found("old-")
        assert await found("222")

        changed = ok(await catalog.patch(path, {"barcode": "999888"}))
        assert await found("9988")
        assert not await found("222")
        changed = ok(await catalog.patch(path, {"barcode": None}))
        assert not await found("9988")
        assert await postings(services, catalog.account.tenant_id) == expected_postings([changed])

    async def test_a_change_to_other_fields_leaves_the_postings_alone(
        self, catalog: Catalog, services: TestServices
    ) -> None:
        product = await catalog.product(sku="KEEP-1", name="Spanner", barcode="12345")
        before = await postings(services, catalog.account.tenant_id)
        ok(
            await catalog.patch(
                f"/products/{product['id']}",
                {"description": "new", "reorder_point": "3", "is_active": False},
            )
        )
        assert await postings(services, catalog.account.tenant_id) == before
        assert {p["id"] for p in await catalog.all_products(q="spann")} == {product["id"]}

    async def test_a_deleted_product_leaves_no_posting_and_is_not_found(
        self, catalog: Catalog, services: TestServices
    ) -> None:
        gone = await catalog.product(sku="GONE-1", name="Chisel")
        kept = await catalog.product(sku="KEPT-1", name="Chisel set")
        response = await catalog.delete(f"/products/{gone['id']}")
        assert response.status_code == 204, response.text
        assert {p["id"] for p in await catalog.all_products(q="chisel")} == {kept["id"]}
        assert await postings(services, catalog.account.tenant_id) == expected_postings([kept])

    async def test_set_wise_writes_keep_the_postings_too(
        self, catalog: Catalog, services: TestServices
    ) -> None:
        """Imports write many products in one statement: an upsert (INSERT … ON CONFLICT
        DO UPDATE), multi-row UPDATEs and DELETEs all leave exactly the right postings."""
        kept = await catalog.product(sku="UP-1", name="Old name")
        tenant = catalog.account.tenant_id

        async def run(statement: str, *args: Any) -> None:
            await app_role_fetch(services.app_url, tenant, statement, *args)

        await run(
            "INSERT INTO products (id, tenant_id, sku, name, unit_code) "
            "SELECT gen_random_uuid(), $1, s, n, 'pcs' "
            "FROM unnest($2::text[], $3::text[]) AS u(s, n) "
            "ON CONFLICT (tenant_id, lower(sku)) DO UPDATE SET name = EXCLUDED.name",
            uuid.UUID(tenant),
            ["up-1", "UP-2", "UP-3"],
            ["New name", "Second", "Third"],
        )
        await run("UPDATE products SET barcode = lower(sku) || '-B' WHERE sku <> 'UP-3'")
        await run("UPDATE products SET reorder_point = 2")
        await run("DELETE FROM products WHERE sku = 'UP-3'")
        rows = await app_role_fetch(
            services.app_url, tenant, "SELECT id::text AS id, sku, name, barcode FROM products"
        )
        products = [dict(row) for row in rows]
        assert {p["sku"] for p in products} == {"UP-1", "UP-2"}
        assert await postings(services, tenant) == expected_postings(products)
        assert {p["id"] for p in await catalog.all_products(q="new name")} == {kept["id"]}
        assert await catalog.all_products(q="old name") == []
        assert await catalog.all_products(q="third") == []


class TestTenantIsolation:
    @pytest.mark.usefixtures("strategy")
    async def test_another_tenants_product_with_the_same_name_never_appears(
        self, catalog: Catalog, identity: Identity
    ) -> None:
        other = Catalog(catalog.client, await identity.signup("Other"))
        mine = await catalog.product(sku="SAME-1", name="Twin widget", barcode="777")
        theirs = await other.product(sku="SAME-1", name="Twin widget", barcode="777")
        for q in ("twin widget", "win", "SAME-1", "777", "7", "tw"):
            assert {p["id"] for p in await catalog.all_products(q=q)} == {mine["id"]}, q
            assert {p["id"] for p in await other.all_products(q=q)} == {theirs["id"]}, q
        # What one tenant has must not change how the other's search is answered.
        for i in range(3):
            await other.product(sku=f"ONLY-{i}", name="Rare gizmo")
        assert await catalog.all_products(q="gizmo") == []

    async def test_the_posting_table_is_under_forced_rls_for_the_app_role(
        self, catalog: Catalog, identity: Identity, services: TestServices
    ) -> None:
        other = Catalog(catalog.client, await identity.signup("Other"))
        await catalog.product(sku="A-1", name="Alpha thing")
        await other.product(sku="B-1", name="Beta thing")
        mine, theirs = catalog.account.tenant_id, other.account.tenant_id
        table = "SELECT DISTINCT tenant_id::text AS t FROM product_search_grams"
        assert {r["t"] for r in await app_role_fetch(services.app_url, mine, table)} == {mine}
        assert {r["t"] for r in await app_role_fetch(services.app_url, theirs, table)} == {theirs}
        assert await app_role_fetch(services.app_url, None, table) == []
        counted = "SELECT count(*) AS n FROM product_search_grams WHERE tenant_id = $1"
        assert (await app_role_fetch(services.app_url, mine, counted, uuid.UUID(theirs)))[0][
            "n"
        ] == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            await app_role_fetch(
                services.app_url,
                mine,
                "INSERT INTO product_search_grams (tenant_id, gram, product_id) "
                "VALUES ($1, 'abc', gen_random_uuid())",
                uuid.UUID(theirs),
            )


class TestSearchPlan:
    """Which way a term is answered; the results are the same either way (tests above)."""

    @pytest.fixture
    async def database(self, settings: Settings) -> AsyncIterator[Database]:
        db = Database(settings.database_url or "", pool_size=1, max_overflow=0)
        yield db
        await db.dispose()

    async def test_rare_keys_give_candidates_common_keys_the_like_alone(
        self, catalog: Catalog, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        drills = [await catalog.product(sku=f"D-{i}", name=f"Drill {i}") for i in range(3)]
        saw = await catalog.product(sku="S-1", name="Saw")
        tenant = uuid.UUID(catalog.account.tenant_id)

        async def candidates(q: str) -> set[str] | None:
            async with database.transaction(tenant) as session:
                found = (await repository.plan_search(session, tenant, q)).candidates
            return None if found is None else {str(c) for c in found}

        ids = {p["id"] for p in drills}
        assert await candidates("DRILL") == ids
        assert await candidates("dr") == ids
        assert await candidates("ll 1") == {drills[1]["id"]}
        # A gram no product has, or rare grams no product has together: nothing to read.
        assert await candidates("zebra") == set()
        assert await candidates("zq") == set()
        assert await candidates("sawdrill") == set()
        monkeypatch.setattr(repository.search, "SEARCH_RARE_POSTINGS", 3)
        # Each gram of "drill" has 3 postings, so all are common; "1" is rare.
        assert await candidates("drill") is None
        assert await candidates("1") == {drills[1]["id"], saw["id"]}
        assert await candidates("drill 2") == {drills[2]["id"]}

    def test_search_grams_are_the_distinct_windows_of_three(self) -> None:
        assert repository.search_grams("abcab") == ["abc", "bca", "cab"]
        assert repository.search_grams("aaaa") == ["aaa"]
        assert repository.search_grams("ab") == []

    def test_a_prefix_range_holds_exactly_the_strings_starting_with_the_prefix(self) -> None:
        assert repository.search._prefix_range("ab") == ("ab", "ac")
        assert repository.search._prefix_range("a\ud7ff") == ("a\ud7ff", "a\ue000")
        assert repository.search._prefix_range("\U0010ffff") is None


class TestSearchEqualsSubstringMatch:
    """For random products and terms, search answers what Python's substring test answers,
    and the postings are exactly the windows of the products' text after every change."""

    async def test_random_products_and_terms(
        self,
        catalog: Catalog,
        services: TestServices,
        strategy: str,
    ) -> None:
        loop = asyncio.get_running_loop()

        def run(coroutine: Coroutine[Any, Any, T]) -> T:
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=120)

        tenant = catalog.account.tenant_id
        letters = "abcXYZ019 -%_\\äöß"
        text = st.text(alphabet=letters, min_size=1, max_size=12).map(str.strip).filter(bool)
        code = st.text(alphabet=letters.replace(" ", ""), min_size=1, max_size=8)
        product = st.tuples(text, st.one_of(st.none(), code))

        @given(
            products=st.lists(product, min_size=1, max_size=5),
            picks=st.lists(
                st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(1, 6)), max_size=6
            ),
            free=st.lists(st.text(alphabet=letters, min_size=1, max_size=4), max_size=3),
            renamed=text,
        )
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        def check(
            products: list[tuple[str, str | None]],
            picks: list[tuple[int, int, int]],
            free: list[str],
            renamed: str,
        ) -> None:
            created: list[dict[str, Any]] = []
            try:
                for i, (name, code) in enumerate(products):
                    # Barcodes are unique in a tenant: the position makes them so.
                    barcode = None if code is None else f"{code}{i}"
                    sku = f"S{i}-{uuid.uuid4().hex[:6]}"
                    created.append(run(catalog.product(sku=sku, name=name, barcode=barcode)))
                terms = list(free)
                for which, start, length in picks:
                    chosen = created[which % len(created)]
                    source = chosen["name"] + (chosen["barcode"] or "")
                    begin = start % len(source)
                    terms.append(source[begin : begin + length].swapcase())
                for q in terms:
                    found = {p["id"] for p in run(catalog.all_products(q=q))}
                    assert found == {p["id"] for p in created if matches(p, q)}, q
                assert run(postings(services, tenant)) == expected_postings(created)

                first = created[0]
                created[0] = ok(run(catalog.patch(f"/products/{first['id']}", {"name": renamed})))
                assert run(postings(services, tenant)) == expected_postings(created)
                for q in (renamed, first["name"]):
                    found = {p["id"] for p in run(catalog.all_products(q=q))}
                    assert found == {p["id"] for p in created if matches(p, q)}, q
            finally:
                for item in created:
                    response = run(catalog.delete(f"/products/{item['id']}"))
                    assert response.status_code == 204, response.text
            assert run(postings(services, tenant)) == set()

        await asyncio.to_thread(check)


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
        problem(response, 400, "invalid-cursor")
        problem(await catalog.get("/products", cursor="not-a-cursor"), 400, "invalid-cursor")

    async def test_limit_bounds(self, catalog: Catalog) -> None:
        for params, field in (
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"sort": "price"}, "sort"),
        ):
            body = problem(await catalog.get("/products", **params), 422, "validation-failed")
            assert [error["field"] for error in body["errors"]] == [field], body
