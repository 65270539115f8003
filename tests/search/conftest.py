"""Search tests: tenants through the identity API, documents straight through the seam
(``search.public``) in the application role's transactions, searches through the seam
and through ``GET /api/v1/search``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from quartermaster.core.db import Database
from quartermaster.search.public import SearchDocument, SearchResults, backend
from tests.identity.conftest import Account

ALL_PERMISSIONS = frozenset({"catalog:read", "tickets:read", "knowledge:read", "knowledge:write"})


def product(
    title: str, *identifiers: str, body: str = "", doc_id: uuid.UUID | None = None
) -> SearchDocument:
    id_ = doc_id or uuid.uuid4()
    return SearchDocument(
        type="product",
        id=id_,
        title=title,
        identifiers=list(identifiers),
        body=body,
        url=f"/products/{id_}",
        permission="catalog:read",
    )


def ticket(number: int, subject: str, body: str = "") -> SearchDocument:
    id_ = uuid.uuid4()
    return SearchDocument(
        type="ticket",
        id=id_,
        title=subject,
        identifiers=[f"QM-{number}", str(number)],
        body=body,
        url=f"/tickets/{id_}",
        permission="tickets:read",
    )


def article(
    title: str, body: str = "", *, permission: str = "knowledge:read", public: bool = False
) -> SearchDocument:
    id_ = uuid.uuid4()
    return SearchDocument(
        type="article",
        id=id_,
        title=title,
        identifiers=[],
        body=body,
        url=f"/kb/{id_}",
        permission=permission,
        public=public,
    )


class Index:
    """One tenant's index, written and searched through the SearchBackend seam."""

    def __init__(self, database: Database, tenant_id: uuid.UUID) -> None:
        self.database = database
        self.tenant_id = tenant_id

    async def add(self, *documents: SearchDocument) -> None:
        async with self.database.transaction(self.tenant_id) as session:
            await backend().index(session, self.tenant_id, documents)

    async def remove(self, type_: str, *ids: uuid.UUID) -> None:
        async with self.database.transaction(self.tenant_id) as session:
            await backend().remove(session, self.tenant_id, type_, ids)

    async def search(
        self,
        query: str,
        *,
        types: Sequence[str] = ("product", "ticket", "article"),
        permissions: frozenset[str] | None = ALL_PERMISSIONS,
        **options: Any,
    ) -> SearchResults:
        async with self.database.transaction(self.tenant_id) as session:
            return await backend().search(
                session, self.tenant_id, query, types=types, permissions=permissions, **options
            )

    async def titles(self, query: str, **options: Any) -> list[str]:
        return [hit.title for hit in (await self.search(query, **options)).items]


@pytest.fixture
def index(database: Database, owner: Account) -> Index:
    return Index(database, uuid.UUID(owner.tenant_id))
