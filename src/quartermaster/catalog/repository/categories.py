"""Queries on categories: the tree (paths, ancestors, descendants) and its pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Text,
    cast,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from quartermaster.catalog.models import Category, Product
from quartermaster.catalog.repository.common import (
    PATH_SEPARATOR,
)
from quartermaster.core.pagination import keyset


@dataclass(frozen=True)
class CategoryWithPath:
    category: Category
    path: str
    depth: int


async def category_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID, *, for_update: bool = False
) -> Category | None:
    query = select(Category).where(Category.tenant_id == tenant_id, Category.id == category_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


def _category_tree(tenant_id: uuid.UUID) -> Any:
    """A recursive CTE of the tenant's categories: (id, path, depth)."""
    child = aliased(Category)
    roots = (
        select(
            Category.id,
            cast(Category.name, Text).label("path"),
            literal(0).label("depth"),
        )
        .where(Category.tenant_id == tenant_id, Category.parent_id.is_(None))
        .cte("tree", recursive=True)
    )
    return roots.union_all(
        select(
            child.id,
            (roots.c.path + PATH_SEPARATOR + child.name).label("path"),
            (roots.c.depth + 1).label("depth"),
        ).where(child.tenant_id == tenant_id, child.parent_id == roots.c.id)
    )


async def category_paths(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Every category's path ("Tools / Drills"); a tenant has thousands at most."""
    tree = _category_tree(tenant_id)
    rows = await session.execute(select(tree.c.id, tree.c.path))
    return {row.id: row.path for row in rows}


async def categories_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[CategoryWithPath]:
    """Categories in path order ("Tools" < "Tools / Drills"), each with its path: the key
    is ``(path, id)``."""
    tree = _category_tree(tenant_id)
    query = keyset(
        select(Category, tree.c.path, tree.c.depth).join(tree, tree.c.id == Category.id),
        [tree.c.path, Category.id],
        after,
        limit=limit,
    )
    rows = await session.execute(query)
    return [CategoryWithPath(category, path, depth) for category, path, depth in rows]


async def ancestors(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """(id, name) from the category itself up to its root."""
    parent = aliased(Category)
    chain = (
        select(Category.id, Category.parent_id, Category.name, literal(0).label("level"))
        .where(Category.tenant_id == tenant_id, Category.id == category_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(parent.id, parent.parent_id, parent.name, (chain.c.level + 1).label("level"))
        # The level bound stops the walk should a cycle ever exist.
        .where(parent.tenant_id == tenant_id, parent.id == chain.c.parent_id, chain.c.level < 1000)
    )
    rows = await session.execute(select(chain.c.id, chain.c.name).order_by(chain.c.level))
    return [(row_id, name) for row_id, name in rows]


async def descendant_ids(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> list[uuid.UUID]:
    """The category and every category below it."""
    child = aliased(Category)
    tree = (
        select(Category.id, literal(0).label("level"))
        .where(Category.tenant_id == tenant_id, Category.id == category_id)
        .cte("subtree", recursive=True)
    )
    tree = tree.union_all(
        select(child.id, (tree.c.level + 1).label("level")).where(
            child.tenant_id == tenant_id, child.parent_id == tree.c.id, tree.c.level < 1000
        )
    )
    return list((await session.execute(select(tree.c.id))).scalars())


async def count_children(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> int:
    query = select(func.count()).where(
        Category.tenant_id == tenant_id, Category.parent_id == category_id
    )
    return int((await session.execute(query)).scalar_one())


async def count_products_in(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> int:
    query = select(func.count()).where(
        Product.tenant_id == tenant_id, Product.category_id == category_id
    )
    return int((await session.execute(query)).scalar_one())


async def delete_category(
    session: AsyncSession, tenant_id: uuid.UUID, category_id: uuid.UUID
) -> None:
    await session.execute(
        delete(Category).where(Category.tenant_id == tenant_id, Category.id == category_id)
    )


# For inventory's valuation reports (via public.py)


async def categories_with_paths(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str]]:
    """(id, name, path) of the tenant's categories among ``ids``."""
    if not ids:
        return []
    tree = _category_tree(tenant_id)
    rows = await session.execute(
        select(tree.c.id, Category.name, tree.c.path)
        .join(Category, (Category.tenant_id == tenant_id) & (Category.id == tree.c.id))
        .where(tree.c.id.in_(list(ids)))
    )
    return [(row.id, row.name, row.path) for row in rows]
