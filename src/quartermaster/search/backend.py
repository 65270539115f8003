"""The seam between Quartermaster and a search engine. Only PostgreSQL is built
(``PostgresBackend``: the index lives in the tenant's own transaction, so a write is
findable by the next request); a large tenant could move to OpenSearch by implementing
``SearchBackend`` (fed from the outbox instead of the writing transaction). The relevance
suite runs through this protocol."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.search import service
from quartermaster.search.service import SearchDocument, SearchResults


class SearchBackend(Protocol):
    async def index(
        self, session: AsyncSession, tenant_id: uuid.UUID, documents: Sequence[SearchDocument]
    ) -> None: ...

    async def remove(
        self, session: AsyncSession, tenant_id: uuid.UUID, type: str, ids: Sequence[uuid.UUID]
    ) -> None: ...

    async def clear(self, session: AsyncSession, tenant_id: uuid.UUID) -> None: ...

    async def search(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        query: str,
        *,
        types: Sequence[str],
        permissions: Collection[str] | None,
        public_only: bool = False,
        match: Literal["all", "any"] = "all",
        limit: int = 20,
        cursor: str | None = None,
        cursor_key: bytes | None = None,
        facet_types: Sequence[str] | None = None,
    ) -> SearchResults: ...


class PostgresBackend:
    """PostgreSQL full-text search with postings for candidates (see models.py)."""

    async def index(
        self, session: AsyncSession, tenant_id: uuid.UUID, documents: Sequence[SearchDocument]
    ) -> None:
        await service.index_documents(session, tenant_id, documents)

    async def remove(
        self, session: AsyncSession, tenant_id: uuid.UUID, type: str, ids: Sequence[uuid.UUID]
    ) -> None:
        await service.remove_documents(session, tenant_id, type, ids)

    async def clear(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        await service.clear_index(session, tenant_id)

    async def search(
        self,
        session: AsyncSession,
        tenant_id: uuid.UUID,
        query: str,
        *,
        types: Sequence[str],
        permissions: Collection[str] | None,
        public_only: bool = False,
        match: Literal["all", "any"] = "all",
        limit: int = 20,
        cursor: str | None = None,
        cursor_key: bytes | None = None,
        facet_types: Sequence[str] | None = None,
    ) -> SearchResults:
        return await service.search(
            session,
            tenant_id,
            query,
            types=types,
            permissions=permissions,
            public_only=public_only,
            match=match,
            limit=limit,
            cursor=cursor,
            cursor_key=cursor_key,
            facet_types=facet_types,
        )


_BACKEND: SearchBackend = PostgresBackend()


def backend() -> SearchBackend:
    """The configured backend (PostgreSQL: the only one built)."""
    return _BACKEND
