"""How articles are found: the module's own full-text search over ``kb_articles`` (a
weighted ``tsvector``: title over body, each word a prefix), for suggestions while a
ticket is written and the public help pages' search.

The search module's index (``search.public``) takes over where it is installed; until
then this is the whole of it."""

from __future__ import annotations

import html
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import PageParams
from quartermaster.identity.public import Principal
from quartermaster.knowledge import repository
from quartermaster.knowledge.models import KbArticle
from quartermaster.knowledge.schemas import Suggestion

PUBLISHED = ["published"]


def marked(snippet: str) -> str:
    """A snippet with ``\\x02``/``\\x03`` around matches as HTML-escaped text whose only
    markup is ``<mark>``."""
    return html.escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")


def article_url(article_id: uuid.UUID) -> str:
    return f"/kb/{article_id}"


async def index_article(session: AsyncSession, article: KbArticle) -> None:
    """Hand the article's document to the search index (in this transaction)."""


async def remove_article(session: AsyncSession, article: KbArticle) -> None:
    """Take a deleted article out of the search index (in this transaction)."""


async def suggest(
    session: AsyncSession, principal: Principal, text: str, limit: int
) -> list[Suggestion]:
    ranked = await repository.ranked_articles(
        session,
        principal.tenant_id,
        text,
        match_any=True,
        public_only=False,
        statuses=PUBLISHED,
        offset=0,
        limit=limit,
    )
    return [
        Suggestion(
            id=hit.article.id,
            slug=hit.article.slug,
            title=hit.article.title,
            snippet=marked(hit.snippet),
            score=round(hit.score, 6),
            url=article_url(hit.article.id),
        )
        for hit in ranked
    ]


class PublicHit:
    __slots__ = ("id", "score", "slug", "snippet", "title")

    def __init__(self, id: uuid.UUID, slug: str, title: str, snippet: str, score: float) -> None:
        self.id, self.slug, self.title, self.snippet, self.score = id, slug, title, snippet, score


MAX_PUBLIC_OFFSET = 500


async def public_search(
    session: AsyncSession, tenant_id: uuid.UUID, q: str, page: PageParams
) -> tuple[list[PublicHit], str | None]:
    """Published, public articles matching every word of ``q`` (prefixes), best first;
    paged by a signed offset, at most ``MAX_PUBLIC_OFFSET`` deep."""
    offset = 0
    if page.cursor:
        (offset,) = page.decode(int)
        offset = max(0, min(offset, MAX_PUBLIC_OFFSET))
    ranked = await repository.ranked_articles(
        session,
        tenant_id,
        q,
        match_any=False,
        public_only=True,
        statuses=PUBLISHED,
        offset=offset,
        limit=page.limit + 1,
    )
    more = len(ranked) > page.limit and offset + page.limit < MAX_PUBLIC_OFFSET
    hits = [
        PublicHit(h.article.id, h.article.slug, h.article.title, marked(h.snippet), h.score)
        for h in ranked[: page.limit]
    ]
    return hits, page.encode([offset + page.limit]) if more else None
