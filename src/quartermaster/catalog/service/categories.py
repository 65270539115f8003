"""The category tree: create, rename, move (never under itself), delete when empty."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog import repository
from quartermaster.catalog.errors import (
    CategoryCycle,
    CategoryInUse,
    CategoryNameTaken,
    CategoryNotFound,
    UnknownCategory,
)
from quartermaster.catalog.models import Category
from quartermaster.catalog.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
)
from quartermaster.catalog.service.indexing import reindex_category
from quartermaster.core.clock import utcnow
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.identity.public import Principal


def _category_read(category: Category, path: str, depth: int) -> CategoryRead:
    return CategoryRead(
        id=category.id,
        parent_id=category.parent_id,
        name=category.name,
        path=path,
        depth=depth,
        created_at=category.created_at,
        updated_at=category.updated_at,
    )


async def _path_of(
    session: AsyncSession, tenant_id: uuid.UUID, category: Category
) -> tuple[str, int]:
    chain = await repository.ancestors(session, tenant_id, category.id)
    names = [name for _, name in reversed(chain)]
    return repository.PATH_SEPARATOR.join(names), len(names) - 1


async def _flush_category(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        constraint = repository.violated_constraint(exc)
        if constraint == "uq_categories_tenant_id_parent_lower_name":
            raise CategoryNameTaken(name) from exc
        if constraint == "fk_categories_tenant_id_parent_id_categories":
            raise UnknownCategory("parent_id") from exc
        raise


async def list_categories(
    session: AsyncSession, principal: Principal, page: PageParams
) -> Page[CategoryRead]:
    rows, next_cursor = page.next_page(
        await repository.categories_page(
            session, principal.tenant_id, limit=page.fetch, after=page.after(str, uuid.UUID)
        ),
        lambda row: [row.path, row.category.id],
    )
    items = [_category_read(r.category, r.path, r.depth) for r in rows]
    return Page[CategoryRead](items=items, next_cursor=next_cursor)


async def get_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> CategoryRead:
    category = await repository.category_by_id(session, principal.tenant_id, category_id)
    if category is None:
        raise CategoryNotFound
    return _category_read(category, *await _path_of(session, principal.tenant_id, category))


async def create_category(
    session: AsyncSession, principal: Principal, data: CategoryCreate
) -> CategoryRead:
    tenant_id = principal.tenant_id
    if data.parent_id is not None and (
        await repository.category_by_id(session, tenant_id, data.parent_id) is None
    ):
        raise UnknownCategory("parent_id")
    now = utcnow()
    category = Category(
        id=new_id(),
        tenant_id=tenant_id,
        parent_id=data.parent_id,
        name=data.name,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, category)
    await _flush_category(session, data.name)
    return _category_read(category, *await _path_of(session, tenant_id, category))


async def update_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID, data: CategoryUpdate
) -> CategoryRead:
    """Rename and/or move a category. A move under the category itself or one of its
    descendants is refused (409); moves are serialised per tenant so two concurrent moves
    cannot build a cycle together."""
    tenant_id = principal.tenant_id
    changes = data.changes()
    if "parent_id" in changes:
        await repository.lock_for_tenant(session, tenant_id, "category-tree")
    category = await repository.category_by_id(session, tenant_id, category_id, for_update=True)
    if category is None:
        raise CategoryNotFound
    if "parent_id" in changes and changes["parent_id"] != category.parent_id:
        new_parent = changes["parent_id"]
        if new_parent is not None:
            chain = await repository.ancestors(session, tenant_id, new_parent)
            if not chain:
                raise UnknownCategory("parent_id")
            if category.id in {ancestor_id for ancestor_id, _ in chain}:
                raise CategoryCycle
        category.parent_id = new_parent
        category.updated_at = utcnow()
    renamed = "name" in changes and changes["name"] != category.name
    if renamed:
        category.name = changes["name"]
        category.updated_at = utcnow()
    await _flush_category(session, category.name)
    if renamed:  # the name is in its products' search documents
        await reindex_category(session, tenant_id, category.id)
    return _category_read(category, *await _path_of(session, tenant_id, category))


async def delete_category(
    session: AsyncSession, principal: Principal, category_id: uuid.UUID
) -> None:
    """Delete an empty category: one with subcategories or products is refused (409)."""
    tenant_id = principal.tenant_id
    category = await repository.category_by_id(session, tenant_id, category_id, for_update=True)
    if category is None:
        raise CategoryNotFound
    children = await repository.count_children(session, tenant_id, category_id)
    products = await repository.count_products_in(session, tenant_id, category_id)
    if children or products:
        raise CategoryInUse(children, products)
    try:
        await repository.delete_category(session, tenant_id, category_id)
    except IntegrityError as exc:  # a product or child added concurrently
        raise CategoryInUse(children, products) from exc
