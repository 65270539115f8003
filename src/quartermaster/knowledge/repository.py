"""Every query of the knowledge base: collections, articles, revisions, the public pages'
reads and the module's own text search (``?q=``, and suggestions when the search module
is not installed)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from quartermaster.core.pagination import keyset
from quartermaster.knowledge.models import KbArticle, KbCollection, KbRevision

# Collections


async def collection_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID, *, lock: bool = False
) -> KbCollection | None:
    query = select(KbCollection).where(
        KbCollection.tenant_id == tenant_id, KbCollection.id == collection_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def collections_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    after: tuple[str, int, str, uuid.UUID] | None,
    limit: int,
) -> list[KbCollection]:
    """The tenant's collections by parent, position, name, id (roots first: a nil parent
    sorts before every real one)."""
    parent = func.coalesce(KbCollection.parent_id, uuid.UUID(int=0)).cast(Text)
    query = keyset(
        select(KbCollection).where(KbCollection.tenant_id == tenant_id),
        [parent, KbCollection.position, KbCollection.name, KbCollection.id],
        after,
        limit=limit,
    )
    return list((await session.execute(query)).scalars())


def collection_sort_key(collection: KbCollection) -> list[Any]:
    parent = str(collection.parent_id or uuid.UUID(int=0))
    return [parent, collection.position, collection.name, str(collection.id)]


async def all_collections(session: AsyncSession, tenant_id: uuid.UUID) -> list[KbCollection]:
    query = (
        select(KbCollection)
        .where(KbCollection.tenant_id == tenant_id)
        .order_by(KbCollection.position, KbCollection.name, KbCollection.id)
    )
    return list((await session.execute(query)).scalars())


async def article_counts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    collection_ids: list[uuid.UUID],
    *,
    public_only: bool = False,
    published_only: bool = False,
) -> dict[uuid.UUID, int]:
    """Articles per collection (public + published ones only for the help pages)."""
    if not collection_ids:
        return {}
    query = (
        select(KbArticle.collection_id, func.count())
        .where(KbArticle.tenant_id == tenant_id, KbArticle.collection_id.in_(collection_ids))
        .group_by(KbArticle.collection_id)
    )
    if public_only:
        query = query.where(KbArticle.status == "published", KbArticle.visibility == "public")
    elif published_only:
        query = query.where(KbArticle.status == "published")
    return {row[0]: int(row[1]) for row in await session.execute(query) if row[0] is not None}


async def child_count(session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        KbCollection.tenant_id == tenant_id, KbCollection.parent_id == collection_id
    )
    return int((await session.execute(query)).scalar_one())


async def ancestors(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID
) -> set[uuid.UUID]:
    """The collection and every collection above it (a recursive CTE, bounded by the
    tree's depth: a cycle cannot exist, the moves that would make one are refused)."""
    tree = (
        select(KbCollection.id, KbCollection.parent_id)
        .where(KbCollection.tenant_id == tenant_id, KbCollection.id == collection_id)
        .cte("up", recursive=True)
    )
    parent = select(KbCollection.id, KbCollection.parent_id).where(
        KbCollection.tenant_id == tenant_id, KbCollection.id == tree.c.parent_id
    )
    tree = tree.union(parent)
    return {row[0] for row in await session.execute(select(tree.c.id))}


async def lock_collection_tree(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise moves of collections in one tenant (two crossing moves could each pass
    the cycle check alone)."""
    key = int.from_bytes(tenant_id.bytes[:8], "big", signed=True) ^ 0x6B62  # "kb"
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def slugs_taken(
    session: AsyncSession, tenant_id: uuid.UUID, model: type[Any], candidates: list[str]
) -> set[str]:
    query = select(model.slug).where(model.tenant_id == tenant_id, model.slug.in_(candidates))
    return set((await session.execute(query)).scalars())


async def delete_collection(session: AsyncSession, collection: KbCollection) -> None:
    await session.execute(
        delete(KbCollection).where(
            KbCollection.tenant_id == collection.tenant_id, KbCollection.id == collection.id
        )
    )


# Articles


async def article_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, article_id: uuid.UUID, *, lock: bool = False
) -> KbArticle | None:
    query = select(KbArticle).where(KbArticle.tenant_id == tenant_id, KbArticle.id == article_id)
    if lock:
        # The row lock orders concurrent saves: the second one sees the first's revision.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def article_by_slug(
    session: AsyncSession, tenant_id: uuid.UUID, slug: str
) -> KbArticle | None:
    query = select(KbArticle).where(KbArticle.tenant_id == tenant_id, KbArticle.slug == slug)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class ArticleFilter:
    statuses: list[str] | None = None
    visibility: str | None = None
    collection_id: uuid.UUID | None = None
    tag: str | None = None
    q: str | None = None


WORD = re.compile(r"\w+", re.UNICODE)


def words_query(text: str, *, match_any: bool) -> str | None:
    """A ``to_tsquery`` string of the text's words, each a prefix (``road`` finds
    ``roadmap``), joined by AND or OR; None when the text has no word. Built from
    ``\\w`` runs only, so nothing the user types is tsquery syntax."""
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(text)))[:32]
    if not words:
        return None
    joiner = " | " if match_any else " & "
    return joiner.join(f"'{w}':*" for w in words)


def _matches(query_text: str) -> ColumnElement[bool]:
    return KbArticle.search_vector.op("@@")(func.to_tsquery("english", query_text))


def _conditions(tenant_id: uuid.UUID, where: ArticleFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [KbArticle.tenant_id == tenant_id]
    if where.statuses is not None:
        conditions.append(KbArticle.status.in_(where.statuses))
    if where.visibility is not None:
        conditions.append(KbArticle.visibility == where.visibility)
    if where.collection_id is not None:
        conditions.append(KbArticle.collection_id == where.collection_id)
    if where.tag is not None:
        conditions.append(KbArticle.tags.contains([where.tag]))
    if where.q is not None:
        words = words_query(where.q, match_any=False)
        if words is None:
            conditions.append(KbArticle.title.ilike(f"%{_escape_like(where.q)}%"))
        else:
            conditions.append(_matches(words))
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


SORTS: dict[str, Any] = {
    "updated_at": KbArticle.updated_at,
    "created_at": KbArticle.created_at,
    "title": KbArticle.title,
}


async def articles_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: ArticleFilter,
    *,
    sort: str,
    descending: bool,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
) -> list[KbArticle]:
    """A page in (sort key, id) order; ``after`` is the last row's key (keyset paging)."""
    query = keyset(
        select(KbArticle).where(*_conditions(tenant_id, where)),
        [SORTS[sort], KbArticle.id],
        after,
        limit=limit,
        descending=descending,
    )
    return list((await session.execute(query)).scalars())


async def delete_article(session: AsyncSession, article: KbArticle) -> None:
    await session.execute(
        delete(KbArticle).where(
            KbArticle.tenant_id == article.tenant_id, KbArticle.id == article.id
        )
    )


# Public help pages


async def public_articles_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    collection_slug: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[KbArticle, str | None]]:
    """Published, public articles by title (with their collection's slug)."""
    query = (
        select(KbArticle, KbCollection.slug)
        .outerjoin(
            KbCollection,
            and_(
                KbCollection.tenant_id == KbArticle.tenant_id,
                KbCollection.id == KbArticle.collection_id,
            ),
        )
        .where(
            KbArticle.tenant_id == tenant_id,
            KbArticle.status == "published",
            KbArticle.visibility == "public",
        )
    )
    if collection_slug is not None:
        query = query.where(KbCollection.slug == collection_slug)
    query = keyset(query, [KbArticle.title, KbArticle.id], after, limit=limit)
    return [(article, slug) for article, slug in await session.execute(query)]


async def public_article(
    session: AsyncSession, tenant_id: uuid.UUID, slug: str
) -> tuple[KbArticle, str | None] | None:
    query = (
        select(KbArticle, KbCollection.slug)
        .outerjoin(
            KbCollection,
            and_(
                KbCollection.tenant_id == KbArticle.tenant_id,
                KbCollection.id == KbArticle.collection_id,
            ),
        )
        .where(
            KbArticle.tenant_id == tenant_id,
            KbArticle.slug == slug,
            KbArticle.status == "published",
            KbArticle.visibility == "public",
        )
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


# Revisions


async def revisions_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    article_id: uuid.UUID,
    *,
    before: int | None,
    limit: int,
) -> list[KbRevision]:
    query = (
        select(KbRevision)
        .where(KbRevision.tenant_id == tenant_id, KbRevision.article_id == article_id)
        .order_by(KbRevision.number.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(KbRevision.number < before)
    return list((await session.execute(query)).scalars())


async def revision(
    session: AsyncSession, tenant_id: uuid.UUID, article_id: uuid.UUID, number: int
) -> KbRevision | None:
    query = select(KbRevision).where(
        KbRevision.tenant_id == tenant_id,
        KbRevision.article_id == article_id,
        KbRevision.number == number,
    )
    return (await session.execute(query)).scalar_one_or_none()


def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)


async def slugs_of(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    article_ids: list[uuid.UUID],
    *,
    public_only: bool = False,
) -> dict[uuid.UUID, str]:
    """The slugs of these articles (of those published and public, for the help pages)."""
    if not article_ids:
        return {}
    query = select(KbArticle.id, KbArticle.slug).where(
        KbArticle.tenant_id == tenant_id, KbArticle.id.in_(article_ids)
    )
    if public_only:
        query = query.where(KbArticle.status == "published", KbArticle.visibility == "public")
    return {row[0]: row[1] for row in await session.execute(query)}


async def articles_after(
    session: AsyncSession, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[KbArticle]:
    """A page of the tenant's articles in id order (rebuilding the search index)."""
    query = (
        select(KbArticle)
        .where(KbArticle.tenant_id == tenant_id)
        .order_by(KbArticle.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(KbArticle.id > after)
    return list((await session.execute(query)).scalars())


async def has_public_articles(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    query = select(
        select(KbArticle.id)
        .where(
            KbArticle.tenant_id == tenant_id,
            KbArticle.status == "published",
            KbArticle.visibility == "public",
        )
        .exists()
    )
    return bool((await session.execute(query)).scalar())
