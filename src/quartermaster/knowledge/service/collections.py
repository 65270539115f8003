"""Collections: a tree of folders; moves serialised per tenant, cycles refused."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import InvalidCursor, Page, PageParams
from quartermaster.identity.public import (
    Principal,
)
from quartermaster.knowledge import repository
from quartermaster.knowledge.errors import (
    CollectionCycle,
    CollectionNotEmpty,
    CollectionNotFound,
    UnknownCollection,
)
from quartermaster.knowledge.events import (
    CollectionChanged,
    CollectionEvents,
)
from quartermaster.knowledge.models import KbCollection
from quartermaster.knowledge.schemas import (
    CollectionCreate,
    CollectionRead,
    CollectionUpdate,
)
from quartermaster.knowledge.service.common import (
    _flush,
    _free_slug,
    _readable_statuses,
    slugify,
)

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


async def get_collection(
    session: AsyncSession, principal: Principal, collection_id: uuid.UUID
) -> CollectionRead:
    collection = await _collection(session, principal.tenant_id, collection_id)
    counts = await repository.article_counts(
        session,
        principal.tenant_id,
        [collection.id],
        published_only=_readable_statuses(principal) is not None,
    )
    return _collection_read(collection, counts.get(collection.id, 0))


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
