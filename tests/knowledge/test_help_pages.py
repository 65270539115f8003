"""The public help pages: published, public articles readable and searchable without a
login; drafts, archived and internal articles never appear on any of them, and an
unknown organization looks exactly like an unknown article."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import ok, problem
from tests.identity.conftest import Identity
from tests.knowledge.conftest import Kb


@pytest.fixture
async def shelf(kb: Kb) -> dict[str, Any]:
    """One public article of each state that must stay hidden, and two visible ones."""
    guides = await kb.collection("Guides", description="How to")
    internal_only = await kb.collection("Staff notes")
    visible = await kb.published(
        title="Widget setup",
        body="Tighten the widget bolts. The roadmap is public.",
        visibility="public",
        collection_id=guides["id"],
        tags=["setup"],
    )
    second = await kb.published(
        title="Returns policy", body="Return within 30 days.", visibility="public"
    )
    hidden = {
        "draft": await kb.article(
            title="Widget draft secret", body="widget secret draft", visibility="public"
        ),
        "internal": await kb.published(
            title="Widget internal secret",
            body="widget secret internal",
            collection_id=internal_only["id"],
        ),
        "archived": await kb.edited(
            await kb.published(
                title="Widget archived secret", body="widget secret archived", visibility="public"
            ),
            status="archived",
        ),
    }
    return {"visible": visible, "second": second, "hidden": hidden, "guides": guides}


class TestReading:
    async def test_collections_list_only_those_with_public_articles(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        body = ok(await kb.public(kb.account.tenant_slug, "/collections"))
        assert body["items"] == [
            {
                "id": shelf["guides"]["id"],
                "parent_id": None,
                "name": "Guides",
                "slug": "guides",
                "description": "How to",
                "article_count": 1,
            }
        ]

    async def test_articles_list_and_read_without_login(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        slug = kb.account.tenant_slug
        listed = ok(await kb.public(slug, "/articles"))
        assert [a["title"] for a in listed["items"]] == ["Returns policy", "Widget setup"]
        setup = listed["items"][1]
        assert setup["collection_slug"] == "guides"
        assert setup["excerpt"] == "Tighten the widget bolts. The roadmap is public."
        assert set(setup) == {"slug", "title", "excerpt", "collection_slug", "updated_at"}
        in_guides = ok(await kb.public(slug, "/articles", collection="guides"))
        assert [a["title"] for a in in_guides["items"]] == ["Widget setup"]
        assert ok(await kb.public(slug, "/articles", collection="staff-notes"))["items"] == []
        page = ok(await kb.public(slug, f"/articles/{shelf['visible']['slug']}"))
        assert page["title"] == "Widget setup"
        assert page["body_html"].startswith("<p>Tighten the widget bolts.")
        assert page["tags"] == ["setup"]
        assert set(page) == {"slug", "title", "body_html", "collection_slug", "updated_at", "tags"}

    async def test_pages_of_at_most_50_with_a_cursor(self, kb: Kb) -> None:
        for n in range(3):
            await kb.published(title=f"Public {n}", visibility="public")
        slug = kb.account.tenant_slug
        first = ok(await kb.public(slug, "/articles", limit=2))
        rest = ok(await kb.public(slug, "/articles", limit=2, cursor=first["next_cursor"]))
        assert [a["title"] for a in first["items"] + rest["items"]] == [
            "Public 0",
            "Public 1",
            "Public 2",
        ]
        assert (await kb.public(slug, "/articles", limit=500)).status_code == 200

    async def test_search_finds_public_articles_with_marked_snippets(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        slug = kb.account.tenant_slug
        found = ok(await kb.public(slug, "/search", q="widget"))
        assert [hit["title"] for hit in found["items"]] == ["Widget setup"]
        hit = found["items"][0]
        assert hit["type"] == "article"
        assert hit["url"] == f"/help/{slug}/widget-setup"
        assert "<mark>" in hit["snippet"]
        prefix = ok(await kb.public(slug, "/search", q="road"))
        assert [h["title"] for h in prefix["items"]] == ["Widget setup"]


class TestNothingHiddenLeaks:
    async def test_no_draft_internal_or_archived_article_on_any_public_endpoint(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        slug = kb.account.tenant_slug
        listed = ok(await kb.public(slug, "/articles", limit=50))
        searched = ok(await kb.public(slug, "/search", q="secret"))
        also = ok(await kb.public(slug, "/search", q="widget secret draft internal archived"))
        every = str(listed) + str(searched) + str(also)
        assert "secret" not in every.lower()
        for article in shelf["hidden"].values():
            response = await kb.public(slug, f"/articles/{article['slug']}")
            problem(response, 404, "help-page-not-found")

    async def test_unknown_tenant_and_unknown_article_answer_the_same_404(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        slug = kb.account.tenant_slug
        answers = [
            await kb.public("no-such-org", "/articles/widget-setup"),
            await kb.public(slug, "/articles/no-such-article"),
            await kb.public(slug, f"/articles/{shelf['hidden']['draft']['slug']}"),
            await kb.public(slug, f"/articles/{shelf['hidden']['internal']['slug']}"),
        ]
        for answer in answers:
            problem(answer, 404, "help-page-not-found")
        bodies = [
            {k: v for k, v in r.json().items() if k not in ("instance", "request_id")}
            for r in answers
        ]
        assert all(body == bodies[0] for body in bodies)
        for path in ("/collections", "/articles", "/search?q=x"):
            missing = await kb.client.get(f"/api/v1/public/no-such-org{path}")
            assert problem(missing, 404, "help-page-not-found")["detail"] == bodies[0]["detail"]

    async def test_an_organization_without_public_articles_looks_like_none(
        self, kb: Kb, identity: Identity
    ) -> None:
        """No list, search or page tells a real organization's slug from a made-up one."""
        quiet = kb.as_(await identity.signup("Quiet Ltd"))
        await quiet.article(title="Internal draft")
        await quiet.published(title="Internal only")
        for slug in (quiet.account.tenant_slug, "no-such-org"):
            for path in ("/collections", "/articles", "/search?q=internal", "/articles/x"):
                response = await kb.client.get(f"/api/v1/public/{slug}{path}")
                assert response.status_code == 404, (slug, path)
                assert response.json()["code"] == "help-page-not-found"

    async def test_unpublishing_takes_an_article_off_the_pages_at_once(
        self, kb: Kb, shelf: dict[str, Any]
    ) -> None:
        slug = kb.account.tenant_slug
        await kb.edited(shelf["visible"], visibility="internal")
        problem(await kb.public(slug, "/articles/widget-setup"), 404, "help-page-not-found")
        assert ok(await kb.public(slug, "/search", q="widget"))["items"] == []


class TestAbuse:
    async def test_long_queries_and_bad_input_are_refused(self, kb: Kb) -> None:
        slug = kb.account.tenant_slug
        await kb.published(title="Open", visibility="public")
        long_q = await kb.public(slug, "/search", q="x" * 201)
        assert (
            "q: String should have at most 200"
            in problem(long_q, 422, "validation-failed")["detail"]
        )
        no_q = await kb.public(slug, "/search")
        assert "q: Field required" in problem(no_q, 422, "validation-failed")["detail"]
        forged = await kb.public(slug, "/search", q="x", cursor="forged.cursor")
        problem(forged, 400, "invalid-cursor")
        long_slug = await kb.client.get("/api/v1/public/" + "a" * 81 + "/articles")
        assert "tenant_slug" in problem(long_slug, 422, "validation-failed")["detail"]
        odd = await kb.public(slug, "/search", q="'&|!():*")
        assert ok(odd)["items"] == []
