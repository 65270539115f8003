"""Factories for knowledge base tests: accounts through the identity API, collections and
articles through the Knowledge API, and the tenant's outbox as the application role sees
it."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.builders import API, Catalog, ok
from tests.identity.conftest import Account

# What a knowledge write may change: a refused one leaves all of them as they were.
KB_TABLES = (
    "kb_collections",
    "kb_articles",
    "kb_article_revisions",
    "search_documents",
    "outbox_events",
)


class Kb(Catalog):
    """Knowledge API calls as one account."""

    def __init__(self, client: AsyncClient, account: Account) -> None:
        super().__init__(client, account)
        self._articles = 0

    def as_(self, account: Account) -> Kb:
        return Kb(self.client, account)

    async def collection(self, name: str = "Guides", **fields: Any) -> dict[str, Any]:
        return ok(await self.post("/collections", {"name": name, **fields}), 201)

    async def write(self, **fields: Any) -> Response:
        self._articles += 1
        body = {"title": f"Article {self._articles}", "body": "Some *text*.", **fields}
        return await self.post("/articles", body)

    async def article(self, **fields: Any) -> dict[str, Any]:
        return ok(await self.write(**fields), 201)

    async def edit(self, article: dict[str, Any], **fields: Any) -> Response:
        """PATCH based on the revision ``article`` holds."""
        return await self.patch(
            f"/articles/{article['id']}", fields, headers={"If-Match": f'"{article["revision"]}"'}
        )

    async def edited(self, article: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return ok(await self.edit(article, **fields))

    async def published(self, **fields: Any) -> dict[str, Any]:
        article = await self.article(**fields)
        return await self.edited(article, status="published")

    async def public(self, tenant_slug: str, path: str, **params: Any) -> Response:
        return await self.client.get(f"{API}/public/{tenant_slug}{path}", params=params)


@pytest.fixture
def kb(client: AsyncClient, owner: Account) -> Kb:
    return Kb(client, owner)
