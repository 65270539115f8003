"""Articles in the search index, and how the knowledge base searches it.

Every save of an article renews its search document in the same transaction (the next
request finds it); a deletion removes it. Readers of drafts and archived articles need
``knowledge:write``, of published ones ``knowledge:read``; only published, public
articles are on the help pages (``public``). Suggestions while a ticket is written and
the help pages' search go through ``search.public.search``, so an article is ranked
there as it is in ``GET /search`` (prefixes, typos, the tenant's language)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.markdown import plain_text
from quartermaster.core.pagination import PageParams
from quartermaster.identity.public import Permission, Principal
from quartermaster.knowledge import repository
from quartermaster.knowledge.models import KbArticle
from quartermaster.knowledge.schemas import Suggestion
from quartermaster.search.public import (
    SearchDocument,
    index_document,
    index_documents,
    remove_document,
    search,
)

TYPE = "article"


def article_url(article_id: uuid.UUID) -> str:
    return f"/kb/{article_id}"


def article_document(article: KbArticle) -> SearchDocument:
    """Title as title, slug as identifier, the body's text as body: read off its rendered
    HTML, so snippets show words, not Markdown (``**``, ``#``, link targets)."""
    published = article.status == "published"
    return SearchDocument(
        type=TYPE,
        id=article.id,
        title=article.title,
        identifiers=[article.slug],
        body="\n".join(part for part in (plain_text(article.body_html), *article.tags) if part),
        url=article_url(article.id),
        permission=(Permission.KNOWLEDGE_READ if published else Permission.KNOWLEDGE_WRITE).value,
        public=published and article.visibility == "public",
        updated_at=article.updated_at,
    )


_DEFERRED = "quartermaster.knowledge.deferred_search_index"


async def index_article(session: AsyncSession, article: KbArticle) -> None:
    """Hand the article's document to the search index (in this transaction; or, in a
    transaction that deferred indexing, at its ``flush_indexing``)."""
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, dict):
        deferred[article.id] = article
        return
    await index_document(session, article.tenant_id, article_document(article))


async def remove_article(session: AsyncSession, article: KbArticle) -> None:
    """Take a deleted article out of the search index (in this transaction)."""
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, dict):
        deferred.pop(article.id, None)
    await remove_document(session, article.tenant_id, TYPE, article.id)


def defer_indexing(session: AsyncSession) -> None:
    """For bulk writers (the demo seed) saving articles again and again: index each
    article once, as it last stands, at ``flush_indexing`` (which must run before the
    commit)."""
    session.info.setdefault(_DEFERRED, {})


async def flush_indexing(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    deferred = session.info.pop(_DEFERRED, None)
    if deferred:
        documents = [article_document(article) for article in deferred.values()]
        await index_documents(session, tenant_id, documents)


async def searchable_articles(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[SearchDocument]:
    """A page of the tenant's articles as search documents, in id order (``qm
    search-reindex``)."""
    rows = await repository.articles_after(session, tenant_id, after, limit)
    return [article_document(row) for row in rows]


async def suggest(
    session: AsyncSession, principal: Principal, text: str, limit: int
) -> list[Suggestion]:
    """Published articles only, internal ones included (the reader is staff): the search
    is run with ``knowledge:read`` alone, whatever else the caller may read, so drafts
    never come up; any of the text's words may match."""
    found = await search(
        session,
        principal.tenant_id,
        text,
        types=[TYPE],
        permissions=[Permission.KNOWLEDGE_READ.value],
        match="any",
        limit=limit,
    )
    slugs = await repository.slugs_of(session, principal.tenant_id, [h.id for h in found.items])
    return [
        Suggestion(
            id=hit.id,
            slug=slugs[hit.id],
            title=hit.title,
            snippet=hit.snippet,
            score=hit.score,
            url=hit.url,
        )
        for hit in found.items
        if hit.id in slugs
    ]


class PublicHit:
    __slots__ = ("id", "score", "slug", "snippet", "title")

    def __init__(self, id: uuid.UUID, slug: str, title: str, snippet: str, score: float) -> None:
        self.id, self.slug, self.title, self.snippet, self.score = id, slug, title, snippet, score


async def public_search(
    session: AsyncSession, tenant_id: uuid.UUID, q: str, page: PageParams
) -> tuple[list[PublicHit], str | None]:
    """Published, public articles only: the index's public documents, and of those the
    articles that are published and public now (the same transaction wrote both)."""
    found = await search(
        session,
        tenant_id,
        q,
        types=[TYPE],
        permissions=None,
        public_only=True,
        limit=page.limit,
        cursor=page.cursor,
        cursor_key=page.key,
    )
    slugs = await repository.slugs_of(
        session, tenant_id, [h.id for h in found.items], public_only=True
    )
    hits = [
        PublicHit(hit.id, slugs[hit.id], hit.title, hit.snippet, hit.score)
        for hit in found.items
        if hit.id in slugs
    ]
    return hits, found.next_cursor
