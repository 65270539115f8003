"""Knowledge base use cases: collections, articles and their revisions, the public help
pages, suggestions. Services flush, never commit; every save of an article writes its
revision, its search document and its event in the request's transaction."""

from __future__ import annotations

import difflib
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import violated_constraint
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.markdown import excerpt, render
from quartermaster.core.pagination import InvalidCursor, Page, PageParams
from quartermaster.identity.public import (
    Permission,
    Principal,
    enter_public_tenant,
    members_with_permission,
)
from quartermaster.knowledge import indexing, repository
from quartermaster.knowledge.errors import (
    ArticleNotFound,
    CollectionCycle,
    CollectionNotEmpty,
    CollectionNotFound,
    IfMatchRequired,
    PublicNotFound,
    PublishForbidden,
    RevisionNotFound,
    SlugTaken,
    StaleRevision,
    UnknownCollection,
)
from quartermaster.knowledge.events import (
    ArticleChanged,
    ArticleEvents,
    CollectionChanged,
    CollectionEvents,
)
from quartermaster.knowledge.models import KbArticle, KbCollection, KbRevision
from quartermaster.knowledge.repository import ArticleFilter
from quartermaster.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleSort,
    ArticleSummary,
    ArticleUpdate,
    CollectionCreate,
    CollectionRead,
    CollectionUpdate,
    DiffLine,
    DiffRead,
    PublicArticle,
    PublicArticleSummary,
    PublicCollection,
    PublicCollections,
    PublicSearchHit,
    PublicSearchResults,
    RevisionRead,
    RevisionSummary,
    Suggestions,
)

PUBLISHED = "published"
MAX_SLUG = 120


# Shared pieces


def slugify(text: str, *, fallback: str = "article") -> str:
    """Lower-case ASCII words joined by hyphens (accents dropped), at most 80 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or fallback


async def _free_slug(
    session: AsyncSession, tenant_id: uuid.UUID, model: type[Any], base: str
) -> str:
    """``base``, else ``base-2`` … ``base-50``, else ``base-`` and random hex: the first
    one nobody in the tenant has (one query; a concurrent taker hits the unique index)."""
    candidates = [base] + [f"{base}-{n}" for n in range(2, 51)]
    taken = await repository.slugs_taken(session, tenant_id, model, candidates)
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    return f"{base}-{uuid.uuid4().hex[:8]}"


async def _author_name(session: AsyncSession, principal: Principal) -> str | None:
    if principal.user_id is None:
        return principal.label  # an API key: its name
    members = await members_with_permission(
        session, principal.tenant_id, Permission.KNOWLEDGE_READ, [principal.user_id]
    )
    member = members.get(principal.user_id)
    return member.full_name if member else None


def _readable_statuses(principal: Principal) -> list[str] | None:
    """Writers see every article; readers only published ones (drafts are work in
    progress, archived ones withdrawn)."""
    return None if principal.can(Permission.KNOWLEDGE_WRITE) else [PUBLISHED]


async def _flush(session: AsyncSession, slug: str, what: str = "article") -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        name = violated_constraint(exc) or ""
        if name.endswith("_slug"):
            raise SlugTaken(slug, what) from exc
        if "collection_id" in name:
            raise UnknownCollection from exc
        raise


# Collections


def _collection_read(collection: KbCollection, count: int) -> CollectionRead:
    return CollectionRead(
        id=collection.id,
        parent_id=collection.parent_id,
        name=collection.name,
        slug=collection.slug,
        description=collection.description,
        position=collection.position,
        article_count=count,
        created_at=collection.created_at,
        updated_at=collection.updated_at,
    )


async def _collection_event(session: AsyncSession, collection: KbCollection, kind: str) -> None:
    payload = CollectionChanged(
        id=collection.id, name=collection.name, parent_id=collection.parent_id
    )
    await emit(session, collection.tenant_id, kind, payload)


async def list_collections(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[CollectionRead]:
    after = None
    if page.cursor:
        parent, position, name, raw_id = page.decode(str, int, str, str)
        try:
            after = (parent, position, name, uuid.UUID(raw_id))
        except ValueError as exc:
            raise InvalidCursor from exc
    rows = await repository.collections_page(
        session, principal.tenant_id, after=after, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    counts = await repository.article_counts(
        session,
        principal.tenant_id,
        [c.id for c in rows],
        published_only=_readable_statuses(principal) is not None,
    )
    items = [_collection_read(c, counts.get(c.id, 0)) for c in rows]
    cursor = page.encode(repository.collection_sort_key(rows[-1])) if more and rows else None
    return Page(items=items, next_cursor=cursor)


async def _collection(
    session: AsyncSession, tenant_id: uuid.UUID, collection_id: uuid.UUID, *, lock: bool = False
) -> KbCollection:
    found = await repository.collection_by_id(session, tenant_id, collection_id, lock=lock)
    if found is None:
        raise CollectionNotFound
    return found


async def create_collection(
    session: AsyncSession, principal: Principal, data: CollectionCreate
) -> CollectionRead:
    tenant_id = principal.tenant_id
    if data.parent_id is not None and (
        await repository.collection_by_id(session, tenant_id, data.parent_id) is None
    ):
        raise UnknownCollection("parent_id")
    slug = await _free_slug(session, tenant_id, KbCollection, slugify(data.name, fallback="c"))
    now = utcnow()
    collection = KbCollection(
        id=new_id(),
        tenant_id=tenant_id,
        parent_id=data.parent_id,
        name=data.name,
        slug=slug,
        description=data.description,
        position=data.position,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, collection)
    await _flush(session, slug, "collection")
    await _collection_event(session, collection, CollectionEvents.CREATED)
    return _collection_read(collection, 0)


async def update_collection(
    session: AsyncSession, principal: Principal, collection_id: uuid.UUID, data: CollectionUpdate
) -> CollectionRead:
    """Rename, describe, reorder or move a collection; a move under itself or one of its
    descendants is 409 (moves are serialised per tenant, so two cannot cross)."""
    tenant_id = principal.tenant_id
    changes = data.changes()
    if "parent_id" in changes:
        await repository.lock_collection_tree(session, tenant_id)
    collection = await _collection(session, tenant_id, collection_id, lock=True)
    parent_id = changes.get("parent_id", collection.parent_id)
    if "parent_id" in changes and parent_id is not None:
        if await repository.collection_by_id(session, tenant_id, parent_id) is None:
            raise UnknownCollection("parent_id")
        if collection.id in await repository.ancestors(session, tenant_id, parent_id):
            raise CollectionCycle
    for field, value in changes.items():
        setattr(collection, field, value)
    collection.updated_at = utcnow()
    await session.flush()
    await _collection_event(session, collection, CollectionEvents.UPDATED)
    counts = await repository.article_counts(session, tenant_id, [collection.id])
    return _collection_read(collection, counts.get(collection.id, 0))


async def delete_collection(
    session: AsyncSession, principal: Principal, collection_id: uuid.UUID
) -> None:
    """Only an empty collection goes (409 naming what it still holds)."""
    tenant_id = principal.tenant_id
    collection = await _collection(session, tenant_id, collection_id, lock=True)
    articles = (await repository.article_counts(session, tenant_id, [collection.id])).get(
        collection.id, 0
    )
    children = await repository.child_count(session, tenant_id, collection.id)
    if articles or children:
        raise CollectionNotEmpty(articles, children)
    try:
        await repository.delete_collection(session, collection)
    except IntegrityError as exc:  # an article or child arrived since the count
        raise CollectionNotEmpty(1, 0) from exc
    await _collection_event(session, collection, CollectionEvents.DELETED)


# Articles: reads


def _summary_fields(article: KbArticle) -> dict[str, Any]:
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "visibility": article.visibility,
        "tags": list(article.tags),
        "collection_id": article.collection_id,
        "author_id": article.author_id,
        "author_name": article.author_name,
        "revision": article.revision,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "published_at": article.published_at,
    }


def article_read(article: KbArticle) -> ArticleRead:
    return ArticleRead(**_summary_fields(article), body=article.body, body_html=article.body_html)


async def _readable(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID
) -> KbArticle:
    article = await repository.article_by_id(session, principal.tenant_id, article_id)
    statuses = _readable_statuses(principal)
    if article is None or (statuses is not None and article.status not in statuses):
        raise ArticleNotFound
    return article


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
        raise ArticleNotFound
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
        slug=article.slug,
        title=article.title,
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


# Revisions


def _revision_summary(revision: KbRevision) -> RevisionSummary:
    return RevisionSummary(
        number=revision.number,
        title=revision.title,
        status=revision.status,
        visibility=revision.visibility,
        author_id=revision.author_id,
        author_name=revision.author_name,
        created_at=revision.created_at,
        note=revision.note,
        changed=list(revision.changed),
        restored_from=revision.restored_from,
    )


async def list_revisions(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, page: PageParams
) -> Page[RevisionSummary]:
    article = await _readable(session, principal, article_id)
    before = None
    if page.cursor:
        (before,) = page.decode(int)
    rows = await repository.revisions_page(
        session, principal.tenant_id, article.id, before=before, limit=page.limit + 1
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = page.encode([rows[-1].number]) if more and rows else None
    return Page(items=[_revision_summary(r) for r in rows], next_cursor=cursor)


async def _revision(
    session: AsyncSession, tenant_id: uuid.UUID, article_id: uuid.UUID, number: int
) -> KbRevision:
    found = await repository.revision(session, tenant_id, article_id, number)
    if found is None:
        raise RevisionNotFound(number)
    return found


async def get_revision(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, number: int
) -> RevisionRead:
    article = await _readable(session, principal, article_id)
    revision = await _revision(session, principal.tenant_id, article.id, number)
    return RevisionRead(
        **_revision_summary(revision).model_dump(),
        body=revision.body,
        body_html=render(revision.body),
        tags=list(revision.tags),
        collection_id=revision.collection_id,
    )


def line_diff(old: str, new: str) -> list[DiffLine]:
    """The lines of ``new`` against ``old``: equal, deleted (old number) and inserted (new
    number), in reading order. difflib's SequenceMatcher on whole lines is enough here:
    articles are documents of at most a few thousand lines (the body is capped at
    200,000 characters), its matching blocks are what a reader expects of a line diff
    (the longest common runs), and a replaced run reads as its deletions then its
    insertions, as in ``diff -u``."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(
                DiffLine(op="equal", old_number=i + 1, new_number=j + 1, text=old_lines[i])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        lines.extend(
            DiffLine(op="delete", old_number=i + 1, new_number=None, text=old_lines[i])
            for i in range(i1, i2)
        )
        lines.extend(
            DiffLine(op="insert", old_number=None, new_number=j + 1, text=new_lines[j])
            for j in range(j1, j2)
        )
    return lines


async def diff(
    session: AsyncSession, principal: Principal, article_id: uuid.UUID, old: int, new: int
) -> DiffRead:
    article = await _readable(session, principal, article_id)
    before = await _revision(session, principal.tenant_id, article.id, old)
    after = await _revision(session, principal.tenant_id, article.id, new)
    return DiffRead(
        from_=old,
        to=new,
        title_changed=before.title != after.title,
        lines=line_diff(before.body, after.body),
    )


async def restore_revision(
    session: AsyncSession,
    principal: Principal,
    article_id: uuid.UUID,
    number: int,
    if_match: str | None,
) -> ArticleRead:
    """A new revision with revision ``number``'s content (title, body, tags and its
    collection if that still exists). The article's status, visibility and slug stay as
    they are: a restore neither publishes, hides nor moves an article's address."""
    tenant_id = principal.tenant_id
    article = await repository.article_by_id(session, tenant_id, article_id, lock=True)
    if article is None:
        raise ArticleNotFound
    _require_if_match(if_match, article)
    old = await _revision(session, tenant_id, article.id, number)
    values: dict[str, Any] = {"title": old.title, "body": old.body, "tags": list(old.tags)}
    if old.collection_id is None or await repository.collection_by_id(
        session, tenant_id, old.collection_id
    ):
        values["collection_id"] = old.collection_id
    return await _save(
        session,
        principal,
        article,
        values,
        note=f"Restored revision {number}",
        restored_from=number,
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
    tenant_id = await enter_public_tenant(session, tenant_slug)
    if tenant_id is None:
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
