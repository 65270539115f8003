"""Suggestions while a ticket is written, and articles in the one search: published
articles are suggested for a ticket's words (internal ones too: the reader is staff),
drafts and archived ones never; the index follows every save in its transaction."""

from __future__ import annotations

import uuid
from typing import Any

from quartermaster.cli_search import reindex_tenant
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.search.public import backend
from tests.builders import ok, problem
from tests.identity.conftest import Account, Identity
from tests.knowledge.conftest import Kb


async def _shelf(kb: Kb) -> dict[str, Any]:
    return {
        "public": await kb.published(
            title="Replacing a cordless drill battery",
            body="Slide the battery out and charge it fully.",
            visibility="public",
        ),
        "internal": await kb.published(
            title="Battery warranty claims", body="Internal: check the serial number."
        ),
        "draft": await kb.article(title="Battery recall draft", body="battery drill draft"),
        "archived": await kb.edited(
            await kb.published(title="Old battery notes", body="battery drill archived"),
            status="archived",
        ),
        "other": await kb.published(title="Shipping costs", body="Free over 150 EUR."),
    }


class TestSuggestions:
    async def test_published_articles_for_any_of_the_tickets_words(self, kb: Kb) -> None:
        shelf = await _shelf(kb)
        text = "My cordless drill battery does not charge anymore, please help"
        found = ok(await kb.get("/articles/suggest", text=text))["items"]
        ids = [item["id"] for item in found]
        assert ids[0] == shelf["public"]["id"]  # the most words in common, title first
        assert shelf["internal"]["id"] in ids
        assert shelf["draft"]["id"] not in ids
        assert shelf["archived"]["id"] not in ids
        assert shelf["other"]["id"] not in ids
        first = found[0]
        assert first["slug"] == "replacing-a-cordless-drill-battery"
        assert first["url"] == f"/kb/{shelf['public']['id']}"
        assert "<mark>" in first["snippet"]
        assert first["score"] > 0

    async def test_a_viewer_and_staff_get_suggestions(
        self, kb: Kb, identity: Identity, owner: Account
    ) -> None:
        shelf = await _shelf(kb)
        for role in ("viewer", "staff"):
            member = kb.as_(await identity.member(owner, role))
            found = ok(await member.get("/articles/suggest", text="battery", limit=10))["items"]
            assert {shelf["public"]["id"], shelf["internal"]["id"]} <= {i["id"] for i in found}
            assert shelf["draft"]["id"] not in {i["id"] for i in found}

    async def test_limit_and_empty_text(self, kb: Kb) -> None:
        await _shelf(kb)
        assert len(ok(await kb.get("/articles/suggest", text="battery", limit=1))["items"]) == 1
        empty = await kb.get("/articles/suggest", text="")
        assert "text:" in problem(empty, 422, "validation-failed")["detail"]
        too_many = await kb.get("/articles/suggest", text="x", limit=21)
        assert "limit:" in problem(too_many, 422, "validation-failed")["detail"]

    async def test_the_index_follows_each_save(self, kb: Kb) -> None:
        article = await kb.published(title="Hinge adjustment", body="Turn the screw.")
        assert [i["id"] for i in ok(await kb.get("/articles/suggest", text="hinge"))["items"]] == [
            article["id"]
        ]
        renamed = await kb.edited(article, title="Door alignment", body="Loosen the bolt.")
        # The slug (an identifier) stays "hinge-adjustment"; the old body's words go.
        assert ok(await kb.get("/articles/suggest", text="screw"))["items"] == []
        assert (
            ok(await kb.get("/articles/suggest", text="bolt"))["items"][0]["id"] == (renamed["id"])
        )
        assert (
            ok(await kb.get("/articles/suggest", text="alignment"))["items"][0]["id"]
            == (renamed["id"])
        )
        await kb.edited(renamed, status="draft")
        assert ok(await kb.get("/articles/suggest", text="alignment"))["items"] == []
        assert (await kb.delete(f"/articles/{article['id']}")).status_code == 204
        assert ok(await kb.get("/search", q="alignment"))["items"] == []


class TestOneSearch:
    async def test_snippets_show_the_words_not_the_markdown(self, kb: Kb) -> None:
        await kb.published(
            title="Returns",
            body="## Terms\n\n**Warranty** covers *rust* & wear: see "
            "[the policy](https://example.com/policy-page) or `RMA-7`.",
        )

        (hit,) = ok(await kb.get("/search", q="warranty"))["items"]
        assert hit["snippet"] == (
            "Terms\n<mark>Warranty</mark> covers rust &amp; wear: see the policy or RMA-7."
        )
        # A link's target is not text anyone reads: not a match either.
        assert ok(await kb.get("/search", q="policy-page"))["items"] == []

    async def test_drafts_are_found_by_writers_only(
        self, kb: Kb, identity: Identity, owner: Account
    ) -> None:
        shelf = await _shelf(kb)
        mine = ok(await kb.get("/search", q="battery", types="article", limit=20))
        assert shelf["draft"]["id"] in {hit["id"] for hit in mine["items"]}
        viewer = kb.as_(await identity.member(owner, "viewer"))
        theirs = ok(await viewer.get("/search", q="battery", types="article", limit=20))
        seen = {hit["id"] for hit in theirs["items"]}
        assert shelf["public"]["id"] in seen
        assert shelf["internal"]["id"] in seen
        assert shelf["draft"]["id"] not in seen
        assert shelf["archived"]["id"] not in seen
        assert theirs["facets"]["article"] == 2

    async def test_anonymous_search_finds_only_published_public_articles(self, kb: Kb) -> None:
        shelf = await _shelf(kb)
        found = ok(await kb.public(kb.account.tenant_slug, "/search", q="battery"))["items"]
        assert [hit["id"] for hit in found] == [shelf["public"]["id"]]
        assert found[0]["url"] == (
            f"/help/{kb.account.tenant_slug}/replacing-a-cordless-drill-battery"
        )
        typo = ok(await kb.public(kb.account.tenant_slug, "/search", q="baterry"))["items"]
        assert [hit["id"] for hit in typo] == [shelf["public"]["id"]]


async def test_search_reindex_rebuilds_articles(kb: Kb, settings: Settings) -> None:
    """`qm search-reindex` takes the articles from knowledge.public like the saves do."""
    article = await kb.published(title="Gate hinge care", body="Grease twice a year.")
    await kb.article(title="Gate draft", body="unfinished")
    database = Database(settings.database_url or "", pool_size=1, max_overflow=0)
    tenant_id = uuid.UUID(kb.account.tenant_id)
    try:
        async with database.transaction(tenant_id) as session:
            await backend().clear(session, tenant_id)
        assert ok(await kb.get("/articles/suggest", text="grease"))["items"] == []
        counts = await reindex_tenant(database, tenant_id)
    finally:
        await database.dispose()
    assert counts["article"] == 2
    found = ok(await kb.get("/articles/suggest", text="grease"))["items"]
    assert [item["id"] for item in found] == [article["id"]]
