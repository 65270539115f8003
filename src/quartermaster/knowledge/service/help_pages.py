"""The public help pages (no login) and suggestions while a ticket is written."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import InvalidCursor, Page, PageParams
from quartermaster.identity.public import (
    Principal,
    enter_public_tenant,
)
from quartermaster.knowledge import indexing, repository
from quartermaster.knowledge.errors import (
    PublicNotFound,
)
from quartermaster.knowledge.schemas import (
    PublicArticle,
    PublicArticleSummary,
    PublicCollection,
    PublicCollections,
    PublicSearchHit,
    PublicSearchResults,
    Suggestions,
)

# Suggestions and search


async def suggest(
    session: AsyncSession, principal: Principal, text: str, limit: int
) -> Suggestions:
    """Published articles (internal ones too: the caller is staff) for a ticket's text,
    best first; any of its words may match."""
    hits = await indexing.suggest(session, principal, text, limit)
    return Suggestions(items=hits)


async def _public_tenant(session: AsyncSession, tenant_slug: str) -> uuid.UUID:
    """The organization with this slug, if it has a help centre: one published, public
    article at least. An organization without one answers like one that does not exist,
    so the help pages do not tell which slugs are organizations."""
    tenant_id = await enter_public_tenant(session, tenant_slug)
    if tenant_id is None or not await repository.has_public_articles(session, tenant_id):
        raise PublicNotFound
    return tenant_id


async def public_collections(session: AsyncSession, tenant_slug: str) -> PublicCollections:
    """Collections holding public, published articles (in them or below): the others'
    names are the organisation's own business."""
    tenant_id = await _public_tenant(session, tenant_slug)
    collections = await repository.all_collections(session, tenant_id)
    counts = await repository.article_counts(
        session, tenant_id, [c.id for c in collections], public_only=True
    )
    parents = {c.id: c.parent_id for c in collections}
    shown: set[uuid.UUID] = set()
    for collection_id, count in counts.items():
        current: uuid.UUID | None = collection_id
        while count and current is not None and current not in shown:
            shown.add(current)
            current = parents.get(current)
    return PublicCollections(
        items=[
            PublicCollection(
                id=c.id,
                parent_id=c.parent_id,
                name=c.name,
                slug=c.slug,
                description=c.description,
                article_count=counts.get(c.id, 0),
            )
            for c in collections
            if c.id in shown
        ]
    )


async def public_articles(
    session: AsyncSession, tenant_slug: str, collection: str | None, page: PageParams
) -> Page[PublicArticleSummary]:
    tenant_id = await _public_tenant(session, tenant_slug)
    after = None
    if page.cursor:
        title, raw_id = page.decode(str, str)
        try:
            after = (title, uuid.UUID(raw_id))
        except ValueError as exc:
            raise InvalidCursor from exc
    rows = await repository.public_articles_page(
        session, tenant_id, collection_slug=collection, after=after, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = page.encode([rows[-1][0].title, str(rows[-1][0].id)]) if more and rows else None
    return Page(
        items=[
            PublicArticleSummary(
                slug=a.slug,
                title=a.title,
                excerpt=a.excerpt,
                collection_slug=collection_slug,
                updated_at=a.updated_at,
            )
            for a, collection_slug in rows
        ],
        next_cursor=cursor,
    )


async def public_article(session: AsyncSession, tenant_slug: str, slug: str) -> PublicArticle:
    tenant_id = await _public_tenant(session, tenant_slug)
    found = await repository.public_article(session, tenant_id, slug)
    if found is None:
        raise PublicNotFound
    article, collection_slug = found
    return PublicArticle(
        slug=article.slug,
        title=article.title,
        body_html=article.body_html,
        collection_slug=collection_slug,
        updated_at=article.updated_at,
        tags=list(article.tags),
    )


async def public_search(
    session: AsyncSession, tenant_slug: str, q: str, page: PageParams
) -> PublicSearchResults:
    tenant_id = await _public_tenant(session, tenant_slug)
    hits, cursor = await indexing.public_search(session, tenant_id, q, page)
    return PublicSearchResults(
        items=[
            PublicSearchHit(
                id=hit.id,
                title=hit.title,
                snippet=hit.snippet,
                score=hit.score,
                url=f"/help/{tenant_slug}/{hit.slug}",
            )
            for hit in hits
        ],
        next_cursor=cursor,
    )
