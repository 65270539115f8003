"""GET /api/v1/search and /search/settings: the shape, permissions per type, facets,
pages, tenants apart, hostile input (the language: test_language.py)."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from quartermaster.core.db import Database
from quartermaster.core.urls import API
from tests.builders import problem
from tests.identity.conftest import Account, Identity
from tests.search.conftest import Index, article, product
from tests.search.relevance import CORPUS


async def _search(client: AsyncClient, account: Account, **params: object) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"{API}/search", headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


async def test_search_needs_a_signed_in_principal(client: AsyncClient) -> None:
    response = await client.get(f"{API}/search", params={"q": "widget"})
    problem(response, 401, "unauthenticated")


async def test_hits_carry_type_id_title_snippet_score_url_and_facets(
    client: AsyncClient, owner: Account, index: Index
) -> None:
    await index.add(*CORPUS)
    body = await _search(client, owner, q="widget")
    assert body["next_cursor"] is None
    assert body["facets"] == {"product": 2, "ticket": 1, "article": 0}
    first = body["items"][0]
    assert set(first) == {"type", "id", "title", "snippet", "score", "url"}
    assert first["type"] == "product"
    assert first["url"] == f"/products/{first['id']}"
    assert "<mark>" in first["snippet"]

    tickets = await _search(client, owner, q="widget", types="ticket")
    assert [hit["type"] for hit in tickets["items"]] == ["ticket"]
    assert tickets["facets"]["product"] == 2  # facets count every type the reader may read


async def test_snippets_are_escaped_html_with_marks_only(
    client: AsyncClient, owner: Account, index: Index
) -> None:
    await index.add(
        product(
            "<script>alert(1)</script> gadget",
            "XSS-1",
            body='<img src=x onerror="x()"> strong claims & more',
        )
    )
    gadget = (await _search(client, owner, q="gadget"))["items"][0]["snippet"]
    assert "alert(1)&lt;/script&gt; <mark>gadget</mark>" in gadget
    for query in ("gadget", "claims"):
        snippet = (await _search(client, owner, q=query))["items"][0]["snippet"]
        assert "<script" not in snippet
        assert "<img" not in snippet
        assert "&gt;" in snippet
        assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


async def test_a_reader_sees_only_the_types_and_documents_it_may_read(
    client: AsyncClient, identity: Identity, owner: Account, index: Index
) -> None:
    await index.add(*CORPUS)
    viewer = await identity.member(owner, "viewer")
    body = await _search(client, viewer, q="warranty")
    assert body["items"] == []
    assert body["facets"]["article"] == 0
    staff_view = await _search(client, owner, q="warranty")
    assert staff_view["facets"]["article"] == 1


async def test_pages_follow_the_cursor_without_repeats(
    client: AsyncClient, owner: Account, index: Index
) -> None:
    await index.add(*[product(f"Widget number {n}", f"W-{n:03d}") for n in range(25)])
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, object] = {"q": "widget", "limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = await _search(client, owner, **params)
        assert body["facets"]["product"] == 25
        seen += [hit["id"] for hit in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 25
    assert len(set(seen)) == 25


async def test_another_tenants_documents_never_appear(
    client: AsyncClient, identity: Identity, owner: Account, index: Index, database: Database
) -> None:
    other = await identity.signup("Other")
    await Index(database, uuid.UUID(other.tenant_id)).add(
        product("Secret sprocket", "SEC-1"), article("Sprocket memo", public=True)
    )
    await index.add(product("Plain washer", "WAS-1"))
    for query in ("sprocket", "SEC-1", "sprockt"):
        body = await _search(client, owner, q=query)
        assert body["items"] == []
        assert sum(body["facets"].values()) == 0
    assert (await _search(client, other, q="sprocket"))["facets"]["product"] == 1


async def test_hostile_input_is_a_4xx(client: AsyncClient, owner: Account, index: Index) -> None:
    await index.add(*CORPUS)
    headers = owner.headers
    for params, status, code in (
        ({"q": ""}, 422, "validation-failed"),
        ({"q": "   "}, 422, "invalid-search-query"),
        ({"q": "x" * 201}, 422, "validation-failed"),
        ({"q": "widget", "types": "product,secrets"}, 422, "invalid-search-query"),
        ({"q": "widget", "limit": 0}, 422, "validation-failed"),
        ({"q": "widget", "limit": 101}, 422, "validation-failed"),
        ({"q": "widget", "cursor": "forged.cursor"}, 400, "invalid-cursor"),
        ({"q": "a\x00b"}, 422, "invalid-text"),
    ):
        response = await client.get(f"{API}/search", headers=headers, params=params)
        problem(response, status, code)
    # a cursor of another query is refused too
    await index.add(*[product(f"Widget number {n}", f"W-{n:03d}") for n in range(5)])
    cursor = (await _search(client, owner, q="widget", limit=1))["next_cursor"]
    assert cursor
    response = await client.get(
        f"{API}/search", headers=headers, params={"q": "tape", "cursor": cursor}
    )
    problem(response, 400, "invalid-cursor")
    # odd but harmless text is simply searched
    for query in ("'", "\\", ":*", "!(", "a & b | c", '"', "-", "OR", "-widget", "<>", "😀"):
        await _search(client, owner, q=query)
