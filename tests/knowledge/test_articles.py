"""Articles and their revisions: every save is a revision (who, when, what changed, why),
any two can be compared line by line, any can be restored as a new revision, and an
edit based on an old revision is refused with the current one named."""

from __future__ import annotations

import asyncio

from fastapi.routing import iter_route_contexts
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.settings import Settings
from tests.builders import nothing_written, ok, problem
from tests.conftest import TestServices
from tests.knowledge.conftest import KB_TABLES, Kb
from tests.knowledge.test_sanitising import dangers
from tests.servicedesk.conftest import events


class TestWriting:
    async def test_a_new_article_is_a_draft_at_revision_1_with_a_slug_from_its_title(
        self, kb: Kb
    ) -> None:
        response = await kb.write(title="Réglage du Widget: 10 étapes!", body="# Hi\n\nText")
        article = ok(response, 201)
        assert article["status"] == "draft"
        assert article["visibility"] == "internal"
        assert article["revision"] == 1
        assert article["slug"] == "reglage-du-widget-10-etapes"
        assert article["author_id"] == kb.account.user_id
        assert article["author_name"] == "Olive Owner"
        assert article["body_html"] == "<h1>Hi</h1>\n<p>Text</p>\n"
        assert response.headers["ETag"] == '"1"'
        assert response.headers["Location"] == f"/api/v1/articles/{article['id']}"

    async def test_slugs_are_made_unique_per_tenant_and_a_taken_one_is_409(self, kb: Kb) -> None:
        first = await kb.article(title="Returns")
        second = await kb.article(title="Returns")
        third = await kb.article(title="Returns")
        assert [first["slug"], second["slug"], third["slug"]] == [
            "returns",
            "returns-2",
            "returns-3",
        ]
        taken = await kb.write(title="Other", slug="returns")
        assert taken.status_code == 409, taken.text
        assert taken.json()["code"] == "slug-taken"
        moved = await kb.edit(second, slug="returns")
        assert "'returns'" in problem(moved, 409, "slug-taken")["detail"]
        assert ok(await kb.get(f"/articles/{second['id']}"))["slug"] == "returns-2"

    async def test_by_slug_finds_the_article(self, kb: Kb) -> None:
        article = await kb.article(title="Warranty terms")
        found = ok(await kb.get("/articles/by-slug/warranty-terms"))
        assert found["id"] == article["id"]
        missing = await kb.get("/articles/by-slug/nothing-here")
        assert problem(missing, 404, "article-not-found")["detail"] == (
            "No article with the slug 'nothing-here' in this organization."
        )

    async def test_an_unknown_collection_is_422_naming_the_field(
        self, kb: Kb, services: TestServices
    ) -> None:
        async with nothing_written(services, kb.account.tenant_id, KB_TABLES):
            response = await kb.write(collection_id="01890000-0000-7000-8000-000000000000")
        problem(response, 422, "unknown-collection")
        assert response.json()["errors"][0]["field"] == "collection_id"

    async def test_a_save_that_changes_nothing_makes_no_revision(self, kb: Kb) -> None:
        article = await kb.article(title="Same")
        again = await kb.edited(article, title="Same")
        assert again["revision"] == 1


class TestRevisions:
    async def test_every_save_is_a_revision_with_author_note_and_changed_fields(
        self, kb: Kb
    ) -> None:
        article = await kb.article(title="Setup", body="one\ntwo\n", note="first draft")
        v2 = await kb.edited(article, body="one\n2\nthree\n", note="numbers")
        v3 = await kb.edited(v2, title="Set-up", tags=["howto", "Setup"])
        assert v3["revision"] == 3
        assert v3["tags"] == ["howto", "setup"]
        page = ok(await kb.get(f"/articles/{article['id']}/revisions"))
        assert [r["number"] for r in page["items"]] == [3, 2, 1]
        newest, middle, first = page["items"]
        assert newest["changed"] == ["title", "tags"]
        assert middle["changed"] == ["body"]
        assert middle["note"] == "numbers"
        assert first["note"] == "first draft"
        assert first["author_name"] == "Olive Owner"
        assert all(r["restored_from"] is None for r in page["items"])
        old = ok(await kb.get(f"/articles/{article['id']}/revisions/1"))
        assert old["body"] == "one\ntwo\n"
        assert old["title"] == "Setup"
        assert old["body_html"] == "<p>one\ntwo</p>\n"

    async def test_revisions_page_with_a_cursor(self, kb: Kb) -> None:
        article = await kb.article(body="0")
        for n in range(1, 5):
            article = await kb.edited(article, body=str(n))
        first = ok(await kb.get(f"/articles/{article['id']}/revisions", limit=2))
        second = ok(
            await kb.get(
                f"/articles/{article['id']}/revisions", limit=2, cursor=first["next_cursor"]
            )
        )
        third = ok(
            await kb.get(
                f"/articles/{article['id']}/revisions", limit=2, cursor=second["next_cursor"]
            )
        )
        numbers = [r["number"] for p in (first, second, third) for r in p["items"]]
        assert numbers == [5, 4, 3, 2, 1]
        assert third["next_cursor"] is None

    async def test_an_unknown_revision_is_404(self, kb: Kb) -> None:
        article = await kb.article()
        response = await kb.get(f"/articles/{article['id']}/revisions/2")
        assert response.status_code == 404
        assert response.json()["code"] == "revision-not-found"

    async def test_a_line_diff_between_any_two_revisions(self, kb: Kb) -> None:
        article = await kb.article(title="A", body="alpha\nbeta\ngamma\n")
        v2 = await kb.edited(article, body="alpha\nBETA\ngamma\ndelta\n")
        await kb.edited(v2, title="B")
        diff = ok(await kb.get(f"/articles/{article['id']}/diff", **{"from": 1, "to": 2}))
        assert diff["from"] == 1
        assert diff["to"] == 2
        assert diff["title_changed"] is False
        assert diff["lines"] == [
            {"op": "equal", "old_number": 1, "new_number": 1, "text": "alpha"},
            {"op": "delete", "old_number": 2, "new_number": None, "text": "beta"},
            {"op": "insert", "old_number": None, "new_number": 2, "text": "BETA"},
            {"op": "equal", "old_number": 3, "new_number": 3, "text": "gamma"},
            {"op": "insert", "old_number": None, "new_number": 4, "text": "delta"},
        ]
        backwards = ok(await kb.get(f"/articles/{article['id']}/diff", **{"from": 3, "to": 1}))
        assert backwards["title_changed"] is True
        assert {"op": "delete", "old_number": 4, "new_number": None, "text": "delta"} in backwards[
            "lines"
        ]
        missing = await kb.get(f"/articles/{article['id']}/diff", **{"from": 1, "to": 9})
        assert problem(missing, 404, "revision-not-found")["detail"] == (
            "The article has no revision 9."
        )

    async def test_a_diff_of_very_long_revisions_is_refused(self, kb: Kb) -> None:
        article = await kb.article(body="line\n" * 6_000)
        await kb.edited(article, body="other\n" * 6_000)
        response = await kb.get(f"/articles/{article['id']}/diff", **{"from": 1, "to": 2})
        assert response.status_code == 422
        assert response.json()["code"] == "diff-too-large"

    async def test_restore_is_a_new_revision_with_the_old_content(self, kb: Kb) -> None:
        collection = await kb.collection("Guides")
        article = await kb.article(title="Old", body="old body", tags=["a"])
        v2 = await kb.edited(
            article, title="New", body="new body", tags=["b"], collection_id=collection["id"]
        )
        published = await kb.edited(v2, status="published")
        response = await kb.client.post(
            f"/api/v1/articles/{article['id']}/revisions/1/restore",
            headers={**kb.headers, "If-Match": '"3"'},
        )
        restored = ok(response)
        assert response.headers["ETag"] == '"4"'
        assert restored["revision"] == 4
        assert (restored["title"], restored["body"], restored["tags"]) == ("Old", "old body", ["a"])
        assert restored["collection_id"] is None
        # A restore neither unpublishes nor moves the article's address.
        assert restored["status"] == "published"
        assert restored["slug"] == published["slug"]
        newest = ok(await kb.get(f"/articles/{article['id']}/revisions"))["items"][0]
        assert newest["restored_from"] == 1
        assert newest["number"] == 4
        assert set(newest["changed"]) == {"title", "body", "tags", "collection"}


class TestConcurrentEdits:
    async def test_patch_and_restore_without_if_match_are_428_and_change_nothing(
        self, kb: Kb
    ) -> None:
        article = await kb.article(title="Keep")
        response = await kb.patch(f"/articles/{article['id']}", {"title": "Lost"})
        assert response.status_code == 428, response.text
        assert response.json()["code"] == "precondition-required"
        restore = await kb.client.post(
            f"/api/v1/articles/{article['id']}/revisions/1/restore", headers=kb.headers
        )
        problem(restore, 428, "precondition-required")
        assert ok(await kb.get(f"/articles/{article['id']}"))["title"] == "Keep"

    async def test_a_stale_if_match_is_412_naming_the_current_revision(self, kb: Kb) -> None:
        article = await kb.article()
        await kb.edited(article, title="Theirs")
        stale = await kb.edit(article, title="Mine")
        body = problem(stale, 412, "precondition-failed")
        assert body["current_revision"] == 2
        assert "revision 2" in body["detail"]
        assert ok(await kb.get(f"/articles/{article['id']}"))["title"] == "Theirs"

    async def test_two_simultaneous_saves_of_one_revision_one_wins_one_is_412(self, kb: Kb) -> None:
        article = await kb.article(body="start")
        responses = await asyncio.gather(
            kb.edit(article, body="first"), kb.edit(article, body="second")
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 412], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 412)
        winner = next(r for r in responses if r.status_code == 200)
        assert problem(loser, 412, "precondition-failed")["current_revision"] == 2
        current = ok(await kb.get(f"/articles/{article['id']}"))
        assert current["body"] == winner.json()["body"]
        revisions = ok(await kb.get(f"/articles/{article['id']}/revisions"))["items"]
        assert [r["number"] for r in revisions] == [2, 1]


class TestPublishing:
    async def test_publishing_sets_published_at_and_the_event(
        self, kb: Kb, services: TestServices
    ) -> None:
        article = await kb.article()
        published = await kb.edited(article, status="published")
        assert published["published_at"] is not None
        archived = await kb.edited(published, status="archived")
        kinds = [kind for kind, _ in await events(services, kb.account.tenant_id)]
        assert kinds == [
            "knowledge.article.created",
            "knowledge.article.published",
            "knowledge.article.archived",
        ]
        assert archived["status"] == "archived"

    async def test_one_event_per_change_with_the_article_as_it_stands(
        self, kb: Kb, services: TestServices
    ) -> None:
        collection = await kb.collection("Guides")
        article = await kb.article(collection_id=collection["id"])
        v2 = await kb.edited(article, body="changed")
        await kb.edited(v2, body="changed")  # nothing changed: no event
        assert (await kb.delete(f"/articles/{article['id']}")).status_code == 204
        found = await events(services, kb.account.tenant_id)
        assert [kind for kind, _ in found] == [
            "knowledge.collection.created",
            "knowledge.article.created",
            "knowledge.article.updated",
            "knowledge.article.deleted",
        ]
        # no title or slug: every reader hears a draft's events (see knowledge/events.py)
        assert found[2][1] == {
            "id": article["id"],
            "status": "draft",
            "visibility": "internal",
            "revision": 2,
        }
        assert found[0][1] == {"id": collection["id"], "name": "Guides", "parent_id": None}

    async def test_a_refused_save_writes_no_event_and_no_revision(
        self, kb: Kb, services: TestServices
    ) -> None:
        article = await kb.article()
        async with nothing_written(services, kb.account.tenant_id, KB_TABLES):
            bad_slug = await kb.edit(article, slug="BAD SLUG")
            assert "slug" in problem(bad_slug, 422, "validation-failed")["detail"]
            stale = await kb.edit({**article, "revision": 7}, title="x")
            assert "revision 1" in problem(stale, 412, "precondition-failed")["detail"]
        kinds = [kind for kind, _ in await events(services, kb.account.tenant_id)]
        assert kinds == ["knowledge.article.created"]
        revisions = ok(await kb.get(f"/articles/{article['id']}/revisions"))["items"]
        assert len(revisions) == 1


class TestListing:
    async def test_filters_sort_and_pages(self, kb: Kb) -> None:
        guides = await kb.collection("Guides")
        a = await kb.article(title="Alpha", tags=["x"], collection_id=guides["id"])
        b = await kb.published(title="Bravo", visibility="public")
        await kb.article(title="Charlie widget", body="the roadmap")
        titles = lambda page: [i["title"] for i in page["items"]]  # noqa: E731
        assert titles(ok(await kb.get("/articles", sort="title", order="asc"))) == [
            "Alpha",
            "Bravo",
            "Charlie widget",
        ]
        assert titles(ok(await kb.get("/articles", status="published"))) == ["Bravo"]
        assert titles(ok(await kb.get("/articles", visibility="public"))) == ["Bravo"]
        assert titles(ok(await kb.get("/articles", tag="x"))) == ["Alpha"]
        assert titles(ok(await kb.get("/articles", collection_id=guides["id"]))) == ["Alpha"]
        assert titles(ok(await kb.get("/articles", q="road"))) == ["Charlie widget"]
        first = ok(await kb.get("/articles", sort="title", order="asc", limit=2))
        rest = ok(
            await kb.get(
                "/articles", sort="title", order="asc", limit=2, cursor=first["next_cursor"]
            )
        )
        assert titles(first) + titles(rest) == ["Alpha", "Bravo", "Charlie widget"]
        # A cursor of another sort order is refused.
        other = await kb.get("/articles", sort="title", order="desc", cursor=first["next_cursor"])
        problem(other, 400, "invalid-cursor")
        assert a["id"] != b["id"]


class TestPreview:
    async def test_preview_renders_like_a_saved_article(self, kb: Kb) -> None:
        body = "**bold** [x](javascript:alert(1)) <script>alert(1)</script>"
        preview = ok(await kb.post("/articles/preview", {"body": body}))
        article = await kb.article(body=body)
        assert preview["body_html"] == article["body_html"]
        assert "<strong>bold</strong>" in preview["body_html"]
        assert dangers(preview["body_html"]) == []
        assert "<a" not in preview["body_html"]  # the javascript: link is left as text


async def test_the_knowledge_api_serves_on_its_own(kb: Kb, settings: Settings) -> None:
    """`qm serve --modules knowledge`: the Knowledge API, and nothing else, answers with a
    token the identity service issued."""
    alone = create_app(settings, modules=["knowledge"])
    paths = {str(route.path) for route in iter_route_contexts(alone.routes)}
    assert "/api/v1/articles/{article_id}/revisions/{number}/restore" in paths
    assert "/api/v1/public/{tenant_slug}/search" in paths
    assert "/api/v1/tickets" not in paths
    assert "/api/v1/auth/token" not in paths
    async with (
        alone.router.lifespan_context(alone),
        AsyncClient(transport=ASGITransport(app=alone), base_url="http://alone") as client,
    ):
        on_its_own = Kb(client, kb.account)
        article = await on_its_own.published(title="Alone", visibility="public")
        page = ok(await on_its_own.public(kb.account.tenant_slug, "/articles/alone"))
        assert page["title"] == "Alone"
        assert article["revision"] == 2
        # Suggestions for a ticket's words work without the service desk mounted.
        text = "Printer left alone overnight"
        suggested = ok(await on_its_own.get("/articles/suggest", text=text))["items"]
        assert [item["title"] for item in suggested] == ["Alone"]
