"""Articles: reads, lists, and saves (each one a revision, its search document and its event)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.markdown import excerpt, render
from quartermaster.core.pagination import InvalidCursor, Page, PageParams
from quartermaster.identity.public import (
    Permission,
    Principal,
)
from quartermaster.knowledge import indexing, repository
from quartermaster.knowledge.errors import (
    ArticleNotFound,
    IfMatchRequired,
    PublishForbidden,
    SlugTaken,
    StaleRevision,
    UnknownCollection,
)
from quartermaster.knowledge.events import (
    ArticleChanged,
    ArticleEvents,
)
from quartermaster.knowledge.models import KbArticle, KbRevision
from quartermaster.knowledge.repository import ArticleFilter
from quartermaster.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleSort,
    ArticleSummary,
    ArticleUpdate,
)
from quartermaster.knowledge.service.common import (
    PUBLISHED,
    _author_name,
    _flush,
    _free_slug,
    _readable,
    _readable_statuses,
    _summary_fields,
    article_read,
    slugify,
)

# Articles: reads


async def get_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> ArticleRead:
    return article_read(await _readable(session, principal, article_id))


async def get_article_by_slug(
    session: AsyncSession, principal: Principal, slug: str
) -> ArticleRead:
    article = await repository.article_by_slug(session, principal.tenant_id, slug)
    statuses = _readable_statuses(principal)
    if article is None or (statuses is not None and article.status not in statuses):
        raise ArticleNotFound(slug=slug)
    return article_read(article)


def _sort_value(article: KbArticle, sort: ArticleSort) -> Any:
    if sort is ArticleSort.TITLE:
        return article.title
    value: datetime = article.created_at if sort is ArticleSort.CREATED_AT else article.updated_at
    return value.isoformat()


async def list_articles(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    where: ArticleFilter,
    *,
    sort: ArticleSort,
    descending: bool,
) -> Page[ArticleSummary]:
    readable = _readable_statuses(principal)
    if readable is not None:
        wanted = where.statuses if where.statuses is not None else readable
        where = ArticleFilter(
            statuses=[s for s in wanted if s in readable],
            visibility=where.visibility,
            collection_id=where.collection_id,
            tag=where.tag,
            q=where.q,
        )
    after = None
    if page.cursor:
        raw_key, raw_id, raw_sort = page.decode(str, str, str)
        if raw_sort != f"{sort.value}:{'desc' if descending else 'asc'}":
            raise InvalidCursor
        try:
            key: Any = raw_key if sort is ArticleSort.TITLE else datetime.fromisoformat(raw_key)
            after = (key, uuid.UUID(raw_id))
        except ValueError as exc:
            raise InvalidCursor from exc
    rows = await repository.articles_page(
        session,
        principal.tenant_id,
        where,
        sort=sort.value,
        descending=descending,
        after=after,
        limit=page.limit + 1,
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = None
    if more and rows:
        last = rows[-1]
        order = f"{sort.value}:{'desc' if descending else 'asc'}"
        cursor = page.encode([_sort_value(last, sort), str(last.id), order])
    return Page(items=[ArticleSummary(**_summary_fields(a)) for a in rows], next_cursor=cursor)


# Articles: writes


def _changed_payload(article: KbArticle) -> ArticleChanged:
    return ArticleChanged(
        id=article.id,
        status=article.status,
        visibility=article.visibility,
        revision=article.revision,
    )


def _event_kind(before: str | None, after: str) -> str:
    if before is None:
        return ArticleEvents.CREATED
    if after != before and after == PUBLISHED:
        return ArticleEvents.PUBLISHED
    if after != before and after == "archived":
        return ArticleEvents.ARCHIVED
    return ArticleEvents.UPDATED


def _render(article: KbArticle) -> None:
    article.body_html = render(article.body)
    article.excerpt = excerpt(article.body)


def _revision_of(
    article: KbArticle,
    *,
    author_id: uuid.UUID | None,
    author_name: str | None,
    note: str | None,
    changed: list[str],
    restored_from: int | None,
    now: datetime,
) -> KbRevision:
    return KbRevision(
        id=new_id(),
        tenant_id=article.tenant_id,
        article_id=article.id,
        number=article.revision,
        title=article.title,
        body=article.body,
        slug=article.slug,
        status=article.status,
        visibility=article.visibility,
        tags=list(article.tags),
        collection_id=article.collection_id,
        author_id=author_id,
        author_name=author_name,
        note=note,
        changed=changed,
        restored_from=restored_from,
        created_at=now,
    )


async def _check_collection(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID | None
) -> None:
    if collection_id is not None and (
        await repository.collection_by_id(session, tenant_id, collection_id) is None
    ):
        raise UnknownCollection


async def create_article(
    session: AsyncSession, principal: Principal, data: ArticleCreate, *, now: datetime | None = None
) -> ArticleRead:
    """A new draft at revision 1 (its slug from the title unless given, made unique)."""
    tenant_id = principal.tenant_id
    now = now or utcnow()
    await _check_collection(session, tenant_id, data.collection_id)
    if data.slug is not None:
        slug = data.slug
        if await repository.slugs_taken(session, tenant_id, KbArticle, [slug]):
            raise SlugTaken(slug)
    else:
        slug = await _free_slug(session, tenant_id, KbArticle, slugify(data.title))
    author_name = await _author_name(session, principal)
    article = KbArticle(
        id=new_id(),
        tenant_id=tenant_id,
        collection_id=data.collection_id,
        slug=slug,
        title=data.title,
        body=data.body,
        status="draft",
        visibility=data.visibility.value,
        tags=sorted(set(data.tags)),
        author_id=principal.user_id,
        author_name=author_name,
        revision=1,
        published_at=None,
        created_at=now,
        updated_at=now,
    )
    _render(article)
    repository.add(session, article)
    await _flush(session, slug)
    repository.add(
        session,
        _revision_of(
            article,
            author_id=principal.user_id,
            author_name=author_name,
            note=data.note,
            changed=["title", "body", "tags", "collection", "visibility", "status", "slug"],
            restored_from=None,
            now=now,
        ),
    )
    await session.flush()
    await indexing.index_article(session, article)
    await emit(session, tenant_id, ArticleEvents.CREATED, _changed_payload(article))
    return article_read(article)


def _require_if_match(if_match: str | None, article: KbArticle) -> None:
    """The save is based on the revision the client read (428 without, 412 when stale)."""
    if if_match is None:
        raise IfMatchRequired
    if if_match.strip() == "*":
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if f'"{article.revision}"' not in candidates:
        raise StaleRevision(article.revision)


FIELD_OF = {
    "title": "title",
    "body": "body",
    "tags": "tags",
    "collection_id": "collection",
    "visibility": "visibility",
    "status": "status",
    "slug": "slug",
}


async def _save(
    session: AsyncSession,
    principal: Principal,
    article: KbArticle,
    values: dict[str, Any],
    *,
    note: str | None,
    restored_from: int | None = None,
) -> ArticleRead:
    """Apply the changed values as a new revision (nothing changed: no revision)."""
    changed = [
        name for f, name in FIELD_OF.items() if f in values and getattr(article, f) != values[f]
    ]
    if not changed and restored_from is None:
        return article_read(article)
    previous_status = article.status
    new_status = values.get("status", previous_status)
    publishing = PUBLISHED in (previous_status, new_status) and new_status != previous_status
    if publishing and not principal.can(Permission.KNOWLEDGE_PUBLISH):
        raise PublishForbidden
    if "collection_id" in values and values["collection_id"] != article.collection_id:
        await _check_collection(session, article.tenant_id, values["collection_id"])
    new_slug = values.get("slug", article.slug)
    if new_slug != article.slug and await repository.slugs_taken(
        session, article.tenant_id, KbArticle, [new_slug]
    ):
        raise SlugTaken(new_slug)
    now = utcnow()
    for field, value in values.items():
        setattr(article, field, value)
    if "body" in values:
        _render(article)
    if new_status == PUBLISHED and previous_status != PUBLISHED:
        article.published_at = now
    article.revision += 1
    article.updated_at = now
    await _flush(session, article.slug)
    author_name = await _author_name(session, principal)
    repository.add(
        session,
        _revision_of(
            article,
            author_id=principal.user_id,
            author_name=author_name,
            note=note,
            changed=changed,
            restored_from=restored_from,
            now=now,
        ),
    )
    await session.flush()
    await indexing.index_article(session, article)
    kind = _event_kind(previous_status, article.status)
    await emit(session, article.tenant_id, kind, _changed_payload(article))
    return article_read(article)


async def update_article(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    data: ArticleUpdate,
    if_match: str | None,
) -> ArticleRead:
    """Save an edit as a new revision, if the client read the current one. The row is
    locked first, so of two saves based on the same revision the second gets 412."""
    article = await repository.article_by_id(session, principal.tenant_id, article_id, lock=True)
    if article is None:
        raise ArticleNotFound
    _require_if_match(if_match, article)
    changes = data.changes()
    note = changes.pop("note", None)
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "tags":
            value = sorted(set(value))
        elif field in ("status", "visibility"):
            value = value.value
        values[field] = value
    return await _save(session, principal, article, values, note=note)


async def delete_article(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, if_match: str | None
) -> None:
    article = await repository.article_by_id(session, principal.tenant_id, article_id, lock=True)
    if article is None:
        raise ArticleNotFound
    if if_match is not None:
        _require_if_match(if_match, article)
    if article.status == PUBLISHED and not principal.can(Permission.KNOWLEDGE_PUBLISH):
        raise PublishForbidden
    await repository.delete_article(session, article)
    await indexing.remove_article(session, article)
    await emit(session, article.tenant_id, ArticleEvents.DELETED, _changed_payload(article))


def preview(body: str) -> str:
    return render(body)
