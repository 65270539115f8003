"""`qm search-reindex`: rebuild tenants' search indexes from every module's documents.

Application layer: it gathers documents from each module's ``public.py`` (SEARCH_SOURCES,
the one list to extend when a module becomes searchable) and hands them to
``search.public``. A tenant's rebuild is one transaction (clear, then refill page by
page), so searches see the old index until it commits and never a half-built one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from quartermaster.catalog.public import searchable_products
from quartermaster.knowledge.public import searchable_articles
from quartermaster.search.public import SearchDocument, backend
from quartermaster.servicedesk.public import searchable_tickets

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

    from quartermaster.core.db import Database

# (type, a page of the tenant's documents in id order after an id): one line per module.
SearchSource = Callable[
    ["AsyncSession", uuid.UUID, uuid.UUID | None, int], Awaitable[list[SearchDocument]]
]
SEARCH_SOURCES: list[tuple[str, SearchSource]] = [
    ("product", searchable_products),
    ("ticket", searchable_tickets),
    ("article", searchable_articles),
]
PAGE = 1_000


async def reindex_tenant(
    database: Database, tenant_id: uuid.UUID, progress: Progress | None = None
) -> dict[str, int]:
    """Rebuild one tenant's index in one transaction; returns documents per type."""
    counts: dict[str, int] = {}
    search = backend()
    async with database.transaction(tenant_id) as session:
        await search.clear(session, tenant_id)
        for type_, source in SEARCH_SOURCES:
            task = progress.add_task(f"{type_}s", total=None) if progress else None
            after: uuid.UUID | None = None
            counts[type_] = 0
            while documents := await source(session, tenant_id, after, PAGE):
                await search.index(session, tenant_id, documents)
                counts[type_] += len(documents)
                after = documents[-1].id
                if progress is not None and task is not None:
                    progress.update(task, advance=len(documents))
            if progress is not None and task is not None:
                progress.update(task, total=counts[type_], completed=counts[type_])
    return counts


async def tenants_named(owner: Database, names: list[str] | None) -> list[tuple[uuid.UUID, str]]:
    """(id, slug) of the tenants named by slug or id; every tenant without names."""
    from sqlalchemy import text

    from quartermaster.identity.public import tenant_by_slug_or_id, tenant_ids

    async with owner.transaction() as session:
        await session.execute(text("SELECT set_config('app.all_tenants', 'on', true)"))
        if not names:
            found = []
            for tenant_id in await tenant_ids(session):
                tenant = await tenant_by_slug_or_id(session, str(tenant_id))
                if tenant is not None:
                    found.append(tenant)
            return found
        tenants = []
        for name in names:
            tenant = await tenant_by_slug_or_id(session, name)
            if tenant is None:
                raise LookupError(name)
            tenants.append(tenant)
        return tenants
