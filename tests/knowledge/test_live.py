"""Live: article and collection changes are outbox events on ``knowledge:updates``,
delivered once each over a real WebSocket by the server's own relay; another tenant
hears nothing."""

from __future__ import annotations

import httpx
import pytest

from quartermaster.core.settings import Settings
from quartermaster.knowledge.public import ArticleEvents, CollectionEvents
from quartermaster.realtime.public import channel_of
from tests.builders import problem
from tests.identity.conftest import Identity
from tests.knowledge.conftest import Kb
from tests.realtime.conftest import WAIT, open_socket, serve

KNOWLEDGE = "knowledge:updates"


def test_every_knowledge_event_is_carried_on_the_knowledge_channel() -> None:
    types = [
        v for cls in (ArticleEvents, CollectionEvents) for k, v in vars(cls).items() if k.isupper()
    ]
    assert len(types) == 8
    assert {channel_of(t) for t in types} == {KNOWLEDGE}


@pytest.mark.slow
class TestLiveKnowledge:
    async def test_each_change_reaches_a_subscribed_socket_once(
        self, settings: Settings, identity: Identity
    ) -> None:
        owner = await identity.signup("Alpha")
        viewer = await identity.member(owner, "viewer")
        other = await identity.signup("Beta")
        async with (
            serve(settings, run_relay=True, relay_poll_interval_seconds=5.0) as live,
            httpx.AsyncClient(base_url=live.http_url, timeout=WAIT) as http,
            open_socket(live, viewer.access_token) as socket,
            open_socket(live, other.access_token) as others,
        ):
            await socket.subscribe(KNOWLEDGE)
            await others.subscribe(KNOWLEDGE)
            kb = Kb(http, owner)
            article = await kb.article(title="Live one", body="Secret plans")
            draft = await http.get(
                f"/api/v1/articles/{article['id']}",
                headers={"Authorization": f"Bearer {viewer.access_token}"},
            )
            # a refetch answers with the viewer's rights
            assert "No article with this id" in problem(draft, 404, "article-not-found")["detail"]
            published = await kb.edited(article, status="published", body="new")
            await kb.edited(published, body="new")  # no change: no event
            await kb.delete(f"/articles/{article['id']}")
            marker = await Kb(http, other).collection("Marker")
            seen = [await socket.next("event") for _ in range(3)]
            assert [(e["channel"], e["type"]) for e in seen] == [
                (KNOWLEDGE, ArticleEvents.CREATED),
                (KNOWLEDGE, ArticleEvents.PUBLISHED),
                (KNOWLEDGE, ArticleEvents.DELETED),
            ]
            # The viewer may not read the draft: its event says that something changed,
            # never what (no title, no slug made from it, no body).
            assert seen[0]["data"] == {
                "id": article["id"],
                "status": "draft",
                "visibility": "internal",
                "revision": 1,
            }
            assert "live" not in str(seen[0]["data"]).lower()
            assert "secret" not in str(seen[0]["data"]).lower()
            assert seen[1]["data"] == {
                "id": article["id"],
                "status": "published",
                "visibility": "internal",
                "revision": 2,
            }
            # The other tenant's first event is its own marker: none of Alpha's reached it.
            theirs = await others.next("event")
            assert (theirs["type"], theirs["data"]["id"]) == (
                CollectionEvents.CREATED,
                marker["id"],
            )
